/**
 * Switching `l2_population` / `arp_responder` in the Neutron L2 agent's ini, keeping everything
 * else byte for byte: comments, blank lines, other keys, the spacing around `=`, line endings. The
 * file is parsed with `ini-api` (a line-preserving INI library: every line keeps its text unless
 * set); only the line of a changed key is rewritten (its prefix `key = ` and trailing spaces kept,
 * the value's capitalisation style kept: `True` -> `False`); a missing key is inserted after the
 * section's last non-blank line; a missing section is appended at the end.
 *
 * Sections (Neutron, neutron/conf/plugins/ml2/drivers/linuxbridge.py `vxlan_opts` and
 * .../ovs_conf.py `agent_opts`): `[vxlan]` for the Linux bridge agent, `[agent]` for Open vSwitch.
 * Reading the values uses the domain's oslo-style parser (`parseIni`: a key given twice keeps the
 * last value), and the edit changes that last occurrence.
 */
import { createTwoFilesPatch } from 'diff';
import { Ini, IniLine, type IniSection, lineTypes } from 'ini-api';
import { type ModeChange, parseIni, parseOsloBool } from '@l2scope/domain';

/** The agent types whose ini the agent edits. */
export type EditableAgentType = 'linuxbridge' | 'openvswitch';

/** `{l2_population, arp_responder}` as the ini says: null when the key is absent (Neutron's default, false, applies). */
export interface IniMode {
  l2_population: boolean | null;
  arp_responder: boolean | null;
}

/** The section holding both keys: `vxlan` (Linux bridge) or `agent` (Open vSwitch). */
export function modeSection(type: EditableAgentType): 'vxlan' | 'agent' {
  return type === 'linuxbridge' ? 'vxlan' : 'agent';
}

function sectionKeys(text: string, section: string): Record<string, string> | undefined {
  const doc = parseIni(text).doc;
  const name = Object.keys(doc).find((s) => s === section) ?? Object.keys(doc).find((s) => s.toLowerCase() === section);
  return name ? doc[name] : undefined;
}

/** Whether `text` has the section at all (any case). */
export function hasSection(text: string, section: string): boolean {
  return new RegExp(`^\\[${section}\\]`, 'im').test(text);
}

/** The two keys of `section` as booleans (null: absent or unreadable). */
export function readIniMode(text: string, section: string): IniMode {
  const kv = sectionKeys(text, section) ?? {};
  const b = (k: string) => (kv[k] === undefined ? null : parseOsloBool(kv[k]));
  return { l2_population: b('l2_population'), arp_responder: b('arp_responder') };
}

/** A value written in the style of the one it replaces (`True`/`TRUE`/`true`, else `true`). */
function styled(value: boolean, old: string | undefined): string {
  const v = value ? 'true' : 'false';
  if (!old) return v;
  if (/^[A-Z]+$/.test(old)) return v.toUpperCase();
  if (/^[A-Z][a-z]+$/.test(old)) return v[0]!.toUpperCase() + v.slice(1);
  return v;
}

/**
 * `text` with the keys of `change` set in `[section]`. Lines other than the changed (or inserted)
 * ones come out byte for byte.
 * @param text the ini as read
 * @param section `vxlan` or `agent`
 * @param change the target values (an absent key is left alone)
 * @returns the new text (equal to `text` when nothing changes)
 */
export function setIniMode(text: string, section: string, change: ModeChange): string {
  const keys = (['l2_population', 'arp_responder'] as const).filter((k) => change[k] !== undefined);
  if (keys.length === 0) return text;
  if (!hasSection(text, section)) {
    const sep = text === '' ? '' : text.endsWith('\n') ? '\n' : '\n\n';
    const nl = text.includes('\r\n') ? '\r\n' : '\n';
    return `${text}${sep.replace(/\n/g, nl)}[${section}]${nl}${keys.map((k) => `${k} = ${change[k] ? 'true' : 'false'}`).join(nl)}${nl}`;
  }
  const ini = new Ini(text);
  const sections = ini.sections.filter((s) => s.name?.toLowerCase() === section.toLowerCase());
  const exact = sections.filter((s) => s.name === section);
  const mine = exact.length ? exact : sections;
  const current = readIniMode(text, section);
  for (const key of keys) {
    const value = change[key]!;
    const found = lastLine(mine, key);
    if (found) {
      if (current[key] === value) continue; // already so: leave the line as it is
      const m = /^(\s*[^=]*?=[ \t]*)(.*?)([ \t]*)$/.exec(found.text);
      found.text = m ? `${m[1]}${styled(value, m[2])}${m[3]}` : `${key} = ${styled(value, undefined)}`;
      continue;
    }
    const s = mine[mine.length - 1]!;
    let at = s.lines.length - 1;
    while (at > 0 && s.lines[at]!.lineType === lineTypes.blank) at--;
    s.lines.splice(at + 1, 0, new IniLine(`${key} = ${value ? 'true' : 'false'}`));
  }
  return ini.stringify();
}

function lastLine(sections: IniSection[], key: string): IniLine | undefined {
  for (let i = sections.length - 1; i >= 0; i--) {
    const lines = sections[i]!.lines;
    for (let j = lines.length - 1; j >= 0; j--) if (lines[j]!.lineType === lineTypes.pair && lines[j]!.key === key) return lines[j];
  }
  return undefined;
}

/** A unified diff of the ini (`a/<path>` -> `b/<path>`, 3 lines of context; empty when equal). */
export function iniDiff(file: string, before: string, after: string): string {
  if (before === after) return '';
  return createTwoFilesPatch(`a${file}`, `b${file}`, before, after, undefined, undefined, { context: 3 });
}

/**
 * The ini to edit among the `--ini` files (oslo `--config-file` order: later files win): the last
 * one that is the agent's own ini (Linux bridge: `[vxlan]` or `[linux_bridge]`; Open vSwitch:
 * `[ovs]`, or `[agent]` holding `tunnel_types` / `l2_population` / `arp_responder`), else the last
 * one that has the section, else the last one. neutron.conf has an `[agent]` section too
 * (`root_helper`), so "has `[agent]`" alone does not make an OVS agent ini.
 * @param files path and text of each `--ini` file, in order
 */
export function chooseIni(files: { path: string; text: string }[], type: EditableAgentType): string | null {
  const own = (text: string): boolean => {
    if (type === 'linuxbridge') return hasSection(text, 'vxlan') || hasSection(text, 'linux_bridge');
    if (hasSection(text, 'ovs')) return true;
    const agent = sectionKeys(text, 'agent') ?? {};
    return ['tunnel_types', 'l2_population', 'arp_responder'].some((k) => k in agent);
  };
  const section = modeSection(type);
  for (let i = files.length - 1; i >= 0; i--) if (own(files[i]!.text)) return files[i]!.path;
  for (let i = files.length - 1; i >= 0; i--) if (hasSection(files[i]!.text, section)) return files[i]!.path;
  return files.length ? files[files.length - 1]!.path : null;
}
