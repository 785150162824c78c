// File capabilities: rpm stores them as text (libcap's cap_to_text, `cap_net_raw=ep`);
// the kernel, and tar's SCHILY.xattr.security.capability record, want the binary
// vfs_cap_data (revision 2).
import { LayerError } from '../errors.js';

const NAMES = [
  'chown', 'dac_override', 'dac_read_search', 'fowner', 'fsetid', 'kill', 'setgid', 'setuid', 'setpcap',
  'linux_immutable', 'net_bind_service', 'net_broadcast', 'net_admin', 'net_raw', 'ipc_lock', 'ipc_owner',
  'sys_module', 'sys_rawio', 'sys_chroot', 'sys_ptrace', 'sys_pacct', 'sys_admin', 'sys_boot', 'sys_nice',
  'sys_resource', 'sys_time', 'sys_tty_config', 'mknod', 'lease', 'audit_write', 'audit_control', 'setfcap',
  'mac_override', 'mac_admin', 'syslog', 'wake_alarm', 'block_suspend', 'audit_read', 'perfmon', 'bpf',
  'checkpoint_restore',
];

const VFS_CAP_REVISION_2 = 0x02000000;
const VFS_CAP_FLAGS_EFFECTIVE = 0x000001;

/** Parses `cap_a,cap_b=ep cap_c+i` (or `=ep` for all) into the 20-byte xattr value. */
export function capsToXattr(text: string, where: string): Buffer {
  let permitted = 0n;
  let inheritable = 0n;
  let effective = 0n;
  for (const clause of text.trim().split(/\s+/).filter(Boolean)) {
    const m = /^([^=+-]*)((?:[=+-][eip]*)+)$/.exec(clause);
    if (!m) throw new LayerError('LAYER_CAPS', `${where}: cannot read file capabilities "${text}"`);
    let set = 0n;
    const names = m[1] ? m[1].split(',') : ['all'];
    for (const raw of names) {
      const name = raw.toLowerCase().replace(/^cap_/, '');
      if (name === 'all' || name === '') {
        set |= (1n << BigInt(NAMES.length)) - 1n;
        continue;
      }
      const bit = NAMES.indexOf(name);
      if (bit < 0) throw new LayerError('LAYER_CAPS', `${where}: unknown capability "${raw}" in "${text}"`);
      set |= 1n << BigInt(bit);
    }
    for (const op of m[2]!.match(/[=+-][eip]*/g)!) {
      const flags = op.slice(1);
      const apply = (cur: bigint, flag: string) =>
        op[0] === '-' ? (flags.includes(flag) ? cur & ~set : cur) : flags.includes(flag) ? cur | set : op[0] === '=' ? cur & ~set : cur;
      permitted = apply(permitted, 'p');
      inheritable = apply(inheritable, 'i');
      effective = apply(effective, 'e');
    }
  }
  const buf = Buffer.alloc(20);
  buf.writeUInt32LE(VFS_CAP_REVISION_2 | (effective ? VFS_CAP_FLAGS_EFFECTIVE : 0), 0);
  buf.writeUInt32LE(Number(permitted & 0xffffffffn), 4);
  buf.writeUInt32LE(Number(inheritable & 0xffffffffn), 8);
  buf.writeUInt32LE(Number(permitted >> 32n), 12);
  buf.writeUInt32LE(Number(inheritable >> 32n), 16);
  return buf;
}
