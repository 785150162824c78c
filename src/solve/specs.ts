// What kind of package spec a string is, as dnf tells them apart.

// A glob (`lib*`, `/usr/bin/py?`): matched by pattern, one job per matching name.
export const isGlob = (spec: string): boolean => /[*?[]/.test(spec);

// A file path (`/usr/bin/python3`, or a glob over paths starting `*/`): needs file lists to match.
export const isFileSpec = (spec: string): boolean => spec.startsWith('/') || spec.startsWith('*/');
