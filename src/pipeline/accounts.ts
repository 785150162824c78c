// The accounts step: every selected image's users and groups (src/accounts), ids
// allocated over all of them with the lock's pins kept, before any layer is built so
// that file owners map through the final accounts.
import { composeAccounts, type AccountsResult, type ImageAccounts, type Ids } from '../accounts/index.js';
import type { LayerSource } from '../layer/index.js';
import type { PackagedFiles } from '../rpm/files.js';
import type { Resolution } from '../types/index.js';
import type { ArchSelection } from './resolve.js';

export interface ComposedAccounts {
  of(arch: string, image: string): ImageAccounts;
  ids: Ids;
  warnings: string[];
}

const key = (arch: string, image: string) => `${arch}\0${image}`;

export async function accountsStep(
  res: Resolution,
  selection: ArchSelection[],
  sourceOf: Map<string, LayerSource>,
  pinned: Ids | undefined,
  sourceDateEpoch: number | undefined,
  files: PackagedFiles,
): Promise<ComposedAccounts> {
  const images = selection.flatMap(({ arch, images: names }) =>
    names.map((name) => ({ key: key(arch, name), sources: res.images[name]![arch]!.packages.map((p) => sourceOf.get(p.checksum)!) })),
  );
  // shadow's last change: the day of SOURCE_DATE_EPOCH, or empty; never today.
  const lastchg = sourceDateEpoch === undefined ? undefined : Math.floor(sourceDateEpoch / 86400);
  const result: AccountsResult = await composeAccounts(images, { users: res.compose.users, groups: res.compose.groups }, pinned, lastchg, files);
  return { of: (arch, image) => result.images.get(key(arch, image))!, ids: result.ids, warnings: result.warnings };
}
