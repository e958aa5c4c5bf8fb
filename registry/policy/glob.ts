/**
 * Globs used by policies. `*` matches any run of characters except `/`; `**` matches any run
 * including `/`. Everything else is literal. So `team-a/*` matches `team-a/app` but not
 * `team-a/x/app`; `team-a/**` matches both. Namespace and service-account names contain no `/`,
 * so `*` there means "any".
 */
const cache = new Map<string, RegExp>();

export function globToRegExp(glob: string): RegExp {
  const cached = cache.get(glob);
  if (cached) return cached;
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i] as string;
    if (char === '*') {
      if (glob[i + 1] === '*') {
        source += '.*';
        i++;
      } else source += '[^/]*';
    } else source += char.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  }
  const regex = new RegExp(`^${source}$`, 's');
  cache.set(glob, regex);
  return regex;
}

export function globMatch(glob: string, value: string): boolean {
  return globToRegExp(glob).test(value);
}
