import { Document, type YAMLSeq } from 'yaml';
import { HoopError } from '../lib/errors.js';

/** The names `hoop.yaml` accepts for an API key (the config schema's NAME_PATTERN). */
const NAME = /^[a-z0-9][a-z0-9._-]*$/i;

export interface ApiKeyEntry {
  name: string;
  groups: string[];
  keyHash: string;
}

/**
 * Checks `--name` and splits `--groups` (comma-separated, blanks and repeats
 * dropped) the way the gateway's config will read them, so a generated entry
 * never fails to load.
 *
 * @throws HoopError `HOOP_USAGE` naming the flag.
 */
export function parseKeyIdentity(name: string, groups: string): { name: string; groups: string[] } {
  if (!NAME.test(name)) {
    throw new HoopError('HOOP_USAGE', `--name ${JSON.stringify(name)} is not a valid name`, {
      hint: 'Use letters, digits, ".", "_" and "-", starting with a letter or digit (e.g. agent-1).',
    });
  }
  const list = [
    ...new Set(
      groups
        .split(',')
        .map((group) => group.trim())
        .filter(Boolean),
    ),
  ];
  if (list.length === 0) {
    throw new HoopError('HOOP_USAGE', '--groups names no group', {
      hint: 'Pass one or more comma-separated groups, e.g. --groups agents,ci.',
    });
  }
  return { name, groups: list };
}

/**
 * The `auth.apiKeys` list item for a key, as YAML text: values that YAML
 * would read as something else (`true`, `1e3`, `a: b`) are quoted.
 */
export function formatApiKeyEntry(entry: ApiKeyEntry): string {
  const doc = new Document([{ name: entry.name, groups: entry.groups, keyHash: entry.keyHash }]);
  (doc.getIn([0, 'groups'], true) as YAMLSeq).flow = true;
  return doc.toString({ flowCollectionPadding: false }).trimEnd();
}
