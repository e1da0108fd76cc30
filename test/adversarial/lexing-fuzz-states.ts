import type { Random } from './harness/seeded-random.js';
import { DEFAULT_AIM, type ClientOnlyEncoding, type LexAim } from './lexing-fuzz-strings.js';

/*
 * Session states a client (or an administrator before it) can try to reach
 * so that the server lexes SQL differently from the gateway: every setting
 * that does it (standard_conforming_strings, backslash_quote,
 * client_encoding), every way to set one (start-up parameters and options,
 * SET in its forms and scopes, set_config, UPDATE pg_settings, procedural
 * code, role and database defaults, the server's configuration), every
 * spelling the server accepts. Each state says how the server would lex if
 * every step took effect (its aim); straight against PostgreSQL it does.
 */

export const STATE_FAMILIES = [
  'default',
  'start-up client_encoding',
  'start-up options and settings',
  'SET',
  'set_config',
  'UPDATE pg_settings',
  'procedural code',
  'defaults set by the client',
  'defaults set by an administrator',
  'server configuration reloaded',
] as const;
export type StateFamily = (typeof STATE_FAMILIES)[number];

export interface SessionState {
  family: StateFamily;
  /** How the state is reached, in one line, for reports. */
  label: string;
  /** How the server lexes if every step below takes effect. */
  aim: LexAim;
  /** Start-up parameters of the session that sends the string. */
  parameters?: Record<string, string>;
  /** Superuser SQL on the harness's admin connection before the session logs in. */
  admin: string[];
  /** SQL a client sends on an earlier session of the same connection. */
  setup: string[];
  /** SQL the session sends before the string. */
  steps: string[];
  /** Superuser SQL while the session is open, after its steps, before the string. */
  adminDuring: string[];
  /** The session must be on a backend that logs in now (role and database defaults apply at login). */
  fresh: boolean;
  /** Objects, defaults or configuration may be left behind: reset the target afterwards. */
  persistent: boolean;
  /** The steps and the string run inside BEGIN … COMMIT (for SET LOCAL and set_config(…, true)). */
  transaction: boolean;
}

export interface StateContext {
  /** The database the connection reaches. */
  database: string;
  /** The role the connection logs in as. */
  role: string;
  /** The role is a superuser (ALTER ROLE ALL works). */
  superuser: boolean;
  /** The database's encoding is SQL_ASCII: with a SQL_ASCII client the server takes bytes as they are. */
  asciiDatabase: boolean;
}

/** Spellings PostgreSQL accepts for each encoding (it compares names ignoring case and non-alphanumerics). */
export const ENCODING_SPELLINGS: Readonly<Record<ClientOnlyEncoding, readonly string[]>> = {
  SJIS: [
    'SJIS',
    'sjis',
    'Shift_JIS',
    'shift-jis',
    'SHIFTJIS',
    'mskanji',
    'MS_Kanji',
    'win932',
    'Windows-932',
  ],
  SHIFT_JIS_2004: ['SHIFT_JIS_2004', 'shift-jis-2004', 'ShiftJIS2004'],
  BIG5: ['BIG5', 'big5', 'Big-5', 'win950', 'Windows950'],
  GBK: ['GBK', 'gbk', 'win936', 'Windows_936'],
  GB18030: ['GB18030', 'gb-18030', 'Gb_18030'],
  UHC: ['UHC', 'uhc', 'win949', 'WINDOWS949'],
  JOHAB: ['JOHAB', 'johab', 'Jo-Hab'],
};
const UTF8_SPELLINGS = ['UTF8', 'utf8', 'UTF-8', 'utf_8', 'Unicode', 'UNICODE'];
const ASCII_SPELLINGS = ['SQL_ASCII', 'sql_ascii', 'sql-ascii', 'SqlAscii'];
/** Server-side encodings: the gateway refuses them at start-up, the server lexes them as it does UTF-8. */
const OTHER_SPELLINGS = ['LATIN1', 'euc_jp', 'WIN1252', 'koi8r'];

/** What one move tries to set. */
interface Goal {
  setting: 'standard_conforming_strings' | 'backslash_quote' | 'client_encoding';
  /** The value as the server reads it (a string constant's content). */
  value: string;
}

const SCS_OFF = ['off', 'false', '0', 'no', 'of', 'f', 'n', 'OFF', 'False'];
const SCS_ON = ['on', 'true', '1', 'yes'];
const BQ_ON = ['on', 'true', 'yes', '1', 'ON'];
const BQ_SAFE = ['safe_encoding', 'off'];

function pickGoal(random: Random, context: StateContext): Goal {
  const encodings = Object.keys(ENCODING_SPELLINGS) as ClientOnlyEncoding[];
  return random.weighted<() => Goal>([
    [30, () => ({ setting: 'standard_conforming_strings', value: random.pick(SCS_OFF) })],
    [
      30,
      () => ({
        setting: 'client_encoding',
        value: random.pick(ENCODING_SPELLINGS[random.pick(encodings)]),
      }),
    ],
    [
      context.asciiDatabase ? 30 : 5,
      () => ({ setting: 'client_encoding', value: random.pick(ASCII_SPELLINGS) }),
    ],
    [5, () => ({ setting: 'backslash_quote', value: random.pick(BQ_ON) })],
    [3, () => ({ setting: 'standard_conforming_strings', value: random.pick(SCS_ON) })],
    [3, () => ({ setting: 'client_encoding', value: random.pick(UTF8_SPELLINGS) })],
    [2, () => ({ setting: 'client_encoding', value: random.pick(OTHER_SPELLINGS) })],
    [2, () => ({ setting: 'backslash_quote', value: random.pick(BQ_SAFE) })],
  ])();
}

const clean = (name: string): string => name.toLowerCase().replace(/[^a-z0-9]/g, '');

/** The client-only encoding a spelling names, if any. */
export function encodingNamed(spelling: string): ClientOnlyEncoding | undefined {
  for (const [encoding, spellings] of Object.entries(ENCODING_SPELLINGS)) {
    if (spellings.some((s) => clean(s) === clean(spelling))) return encoding as ClientOnlyEncoding;
  }
  return undefined;
}

/** `aim` after `goal` takes effect. */
function applied(aim: LexAim, goal: Goal, context: StateContext): LexAim {
  switch (goal.setting) {
    case 'standard_conforming_strings':
      return { ...aim, backslashes: SCS_OFF.includes(goal.value) };
    case 'backslash_quote':
      return {
        ...aim,
        backslashQuote: BQ_ON.includes(goal.value)
          ? 'on'
          : goal.value === 'safe_encoding'
            ? 'safe_encoding'
            : 'off',
      };
    case 'client_encoding': {
      const { encoding: _previous, ...rest } = aim;
      const encoding = encodingNamed(goal.value);
      const ascii = ASCII_SPELLINGS.some((s) => clean(s) === clean(goal.value));
      // A SQL_ASCII database takes no non-ASCII byte from a client-only encoding (pg_any_to_server).
      return {
        ...rest,
        ...(encoding && !context.asciiDatabase ? { encoding } : {}),
        clientOnly: encoding !== undefined,
        rawBytes: ascii && context.asciiDatabase,
      };
    }
  }
}

/** The setting's name as a client might write it (GUC names ignore case; a quoted identifier works too). */
function settingName(random: Random, setting: Goal['setting']): string {
  return random.weighted([
    [6, setting],
    [1, setting.toUpperCase()],
    [1, `"${setting}"`],
    [1, setting.replace(/(^|_)([a-z])/g, (_, sep: string, c: string) => sep + c.toUpperCase())],
  ]);
}

/** A SET value: bare when it is a word or number, else (or at random) a string constant. */
function setValue(random: Random, value: string): string {
  const bare = /^[A-Za-z_][A-Za-z0-9_]*$|^[0-9]+$/.test(value) && !/^(of|f|n)$/i.test(value);
  return bare && random.chance(0.5) ? value : `'${value}'`;
}

/** `SET … = …` in one of its forms. */
function setStatement(random: Random, goal: Goal, local: boolean): string {
  if (goal.setting === 'client_encoding' && random.chance(0.3)) {
    return `${random.pick(['set', 'SET'])}${local ? ' local' : ''} names '${goal.value}'`;
  }
  const verb = local
    ? random.pick(['set local', 'SET LOCAL'])
    : random.pick(['set', 'SET', 'set session']);
  return `${verb} ${settingName(random, goal.setting)} ${random.pick(['=', 'to', 'TO'])} ${setValue(random, goal.value)}`;
}

/** A `set_config` call in one of the places SQL allows it, with its name or value built at run time or not. */
function setConfigStatement(random: Random, goal: Goal, local: boolean): string {
  const name = random.weighted<() => string>([
    [4, () => `'${goal.setting}'`],
    [1, () => `'${goal.setting.toUpperCase()}'`],
    [1, () => `'${goal.setting.slice(0, 9)}' || '${goal.setting.slice(9)}'`],
    [1, () => `lower('${goal.setting.toUpperCase()}')`],
    [1, () => `(select '${goal.setting}')`],
    [1, () => `chr(${goal.setting.charCodeAt(0)}) || '${goal.setting.slice(1)}'`],
    [1, () => `reverse('${[...goal.setting].reverse().join('')}')`],
  ])();
  const value = random.weighted<() => string>([
    [4, () => `'${goal.value}'`],
    [1, () => `'${goal.value.slice(0, 1)}' || '${goal.value.slice(1)}'`],
    [1, () => `(select '${goal.value}')`],
  ])();
  const fn = random.pick(['set_config', 'pg_catalog.set_config', '"set_config"']);
  const call = `${fn}(${name}, ${value}, ${local})`;
  return random.weighted<() => string>([
    [4, () => `select ${call}`],
    [1, () => `select 1 where ${call} is not null`],
    [1, () => `select * from ${call}`],
    [1, () => `values (${call})`],
    [1, () => `with s as (select ${call}) select * from s`],
    [
      1,
      () =>
        `select ${fn}(n, v, ${local}) from (values ('${goal.setting}', '${goal.value}')) t(n, v)`,
    ],
    [
      1,
      () =>
        `select ${fn}(name, ${value}, ${local}) from pg_settings where name = '${goal.setting}'`,
    ],
    [
      1,
      () =>
        `select ${fn}(name, ${value}, ${local}) from pg_settings where name ~ '^${goal.setting.slice(0, 12)}'`,
    ],
  ])();
}

function updateSettings(random: Random, goal: Goal): string {
  const table = random.pick(['pg_settings', 'pg_catalog.pg_settings', 'pg_settings s']);
  const column = table.endsWith(' s') ? 's.name' : 'name';
  const where = random.pick([
    `${column} = '${goal.setting}'`,
    `${column} ~ '^${goal.setting.slice(0, 12)}'`,
    `${column} in ('${goal.setting}')`,
    `${column} = lower('${goal.setting.toUpperCase()}')`,
  ]);
  return `update ${table} set setting = '${goal.value}' where ${where}`;
}

/** Procedural routes to a session-wide change: DO blocks, functions, procedures, views, rules, triggers. */
function procedural(random: Random, goal: Goal): { steps: string[]; persistent: boolean } {
  const sc = `set_config('${goal.setting}', '${goal.value}', false)`;
  const set = `set ${goal.setting} = '${goal.value}'`;
  return random.weighted<() => { steps: string[]; persistent: boolean }>([
    [2, () => ({ steps: [`do $$ begin ${set}; end $$`], persistent: false })],
    [2, () => ({ steps: [`do $$ begin perform ${sc}; end $$`], persistent: false })],
    [
      1,
      () => ({
        steps: [`do $$ begin execute '${set.replaceAll("'", "''")}'; end $$`],
        persistent: false,
      }),
    ],
    [
      1,
      () => ({
        steps: [
          `do $$ begin execute format('set %I = %L', '${goal.setting}', '${goal.value}'); end $$`,
        ],
        persistent: false,
      }),
    ],
    [
      1,
      () => ({
        steps: [`do language plpgsql 'begin perform ${sc.replaceAll("'", "''")}; end'`],
        persistent: false,
      }),
    ],
    [
      2,
      () => ({
        steps: [
          `create function adv_lex() returns text language sql as $$ select ${sc} $$`,
          'select adv_lex()',
        ],
        persistent: true,
      }),
    ],
    [
      1,
      () => ({
        steps: [
          `create function adv_lex() returns text language sql begin atomic select ${sc}; end`,
          'select adv_lex()',
        ],
        persistent: true,
      }),
    ],
    [
      1,
      () => ({
        steps: [
          "create function adv_lex(n text, v text) returns text language sql as 'select set_config(n, v, false)'",
          `select adv_lex('${goal.setting}', '${goal.value}')`,
        ],
        persistent: true,
      }),
    ],
    [
      1,
      () => ({
        steps: [
          `create function adv_lex() returns void language plpgsql as $$ begin ${set}; end $$`,
          'select adv_lex()',
        ],
        persistent: true,
      }),
    ],
    [
      1,
      () => ({
        steps: [`create procedure adv_lex() language sql as $$ select ${sc} $$`, 'call adv_lex()'],
        persistent: true,
      }),
    ],
    [
      1,
      () => ({
        steps: [`create view adv_lex as select ${sc} as v`, 'select * from adv_lex'],
        persistent: true,
      }),
    ],
    [
      1,
      () => ({
        steps: [
          'create table adv_lex_t (x int)',
          `create rule adv_lex_r as on insert to adv_lex_t do also select ${sc}`,
          'insert into adv_lex_t values (1)',
        ],
        persistent: true,
      }),
    ],
    [
      1,
      () => ({
        steps: [
          'create table adv_lex_t (x int)',
          `create function adv_lex() returns trigger language plpgsql as $$ begin perform ${sc}; return new; end $$`,
          'create trigger adv_lex_g before insert on adv_lex_t for each row execute function adv_lex()',
          'insert into adv_lex_t values (1)',
        ],
        persistent: true,
      }),
    ],
  ])();
}

/** Routes that change a setting only while a routine runs: refused too, and no session-wide aim. */
function routineClause(random: Random, goal: Goal): string[] {
  const clause = `set ${goal.setting} = '${goal.value}'`;
  return random.pick([
    [
      `create function adv_lex() returns int language sql ${clause} as 'select 1'`,
      'select adv_lex()',
    ],
    [
      "create function adv_lex() returns int language sql as 'select 1'",
      `alter function adv_lex() ${clause}`,
      'select adv_lex()',
    ],
    [`create procedure adv_lex() language sql ${clause} as 'select 1'`, 'call adv_lex()'],
    [
      "create procedure adv_lex() language sql as 'select 1'",
      `alter routine adv_lex() ${clause}`,
      'call adv_lex()',
    ],
  ]);
}

/** `ALTER ROLE/DATABASE … SET` as a client or the administrator may write it. */
function defaultStatement(
  random: Random,
  goal: Goal,
  context: StateContext,
  by: 'client' | 'admin',
): string | undefined {
  const tail = `set ${settingName(random, goal.setting)} = ${setValue(random, goal.value)}`;
  const role =
    by === 'client'
      ? random.pick([context.role, 'current_user', 'session_user', 'current_role'])
      : context.role;
  const choices: [number, string][] = [
    [3, `alter role ${role} ${tail}`],
    [1, `alter user ${role} ${tail}`],
    [2, `alter database ${context.database} ${tail}`],
    [2, `alter role ${role} in database ${context.database} ${tail}`],
  ];
  if (by === 'admin' || context.superuser) {
    choices.push(
      [1, `alter role all ${tail}`],
      [1, `alter role all in database ${context.database} ${tail}`],
    );
  }
  return random.weighted(choices);
}

/** Statements after login that go back to the session's defaults (which a role or database default sets). */
function backToDefault(random: Random, goal: Goal): string[] {
  return random.pick([
    [],
    [],
    [`reset ${goal.setting}`],
    [`set ${goal.setting} to default`],
    [`set ${goal.setting} = default`],
    ['reset all'],
    ['discard all'],
    ['set session authorization default'],
    ['set role none'],
  ]);
}

const blankState = (family: StateFamily): SessionState => ({
  family,
  label: '',
  aim: DEFAULT_AIM,
  admin: [],
  setup: [],
  steps: [],
  adminDuring: [],
  fresh: false,
  persistent: false,
  transaction: false,
});

/** A state to try, drawn from every family. */
export function generateState(random: Random, context: StateContext): SessionState {
  const family = random.weighted<StateFamily>([
    [6, 'default'],
    [14, 'start-up client_encoding'],
    [8, 'start-up options and settings'],
    [18, 'SET'],
    [10, 'set_config'],
    [5, 'UPDATE pg_settings'],
    [10, 'procedural code'],
    [7, 'defaults set by the client'],
    [12, 'defaults set by an administrator'],
    [5, 'server configuration reloaded'],
  ]);
  const state = blankState(family);
  const goals: Goal[] = [];
  switch (family) {
    case 'default':
      state.steps = random.pick([
        [],
        ["set client_encoding = 'UTF8'"],
        ["set names 'unicode'"],
        ['set standard_conforming_strings = on'],
        ['set backslash_quote = safe_encoding'],
        ['reset all'],
        ['discard all'],
        ["set application_name = 'fuzz'"],
      ]);
      break;
    case 'start-up client_encoding': {
      const encodings = Object.keys(ENCODING_SPELLINGS) as ClientOnlyEncoding[];
      const value = random.weighted<() => string>([
        [10, () => random.pick(ENCODING_SPELLINGS[random.pick(encodings)])],
        [context.asciiDatabase ? 6 : 2, () => random.pick(ASCII_SPELLINGS)],
        [2, () => random.pick(UTF8_SPELLINGS)],
        [1, () => random.pick(OTHER_SPELLINGS)],
      ])();
      const name = random.pick([
        'client_encoding',
        'client_encoding',
        'CLIENT_ENCODING',
        'Client_Encoding',
      ]);
      state.parameters = { [name]: value };
      goals.push({ setting: 'client_encoding', value });
      // Back to the start-up value: still the encoding asked for.
      if (random.chance(0.2)) {
        state.steps = [
          random.pick(['reset client_encoding', 'set client_encoding to default', 'reset all']),
        ];
      }
      break;
    }
    case 'start-up options and settings': {
      const choice = random.pick([
        {
          parameters: { options: '-c standard_conforming_strings=off' },
          goals: [{ setting: 'standard_conforming_strings', value: 'off' }],
        },
        {
          parameters: { options: '-cstandard_conforming_strings=off' },
          goals: [{ setting: 'standard_conforming_strings', value: 'off' }],
        },
        {
          parameters: { options: '--standard-conforming-strings=off' },
          goals: [{ setting: 'standard_conforming_strings', value: 'off' }],
        },
        {
          parameters: { options: '-c standard_conforming_strings=off -c backslash_quote=on' },
          goals: [
            { setting: 'standard_conforming_strings', value: 'off' },
            { setting: 'backslash_quote', value: 'on' },
          ],
        },
        {
          parameters: { options: '-c client_encoding=SJIS' },
          goals: [{ setting: 'client_encoding', value: 'SJIS' }],
        },
        {
          parameters: { options: '--client_encoding=big5' },
          goals: [{ setting: 'client_encoding', value: 'big5' }],
        },
        {
          parameters: { options: '-c client_encoding=SJIS', client_encoding: 'UTF8' },
          goals: [{ setting: 'client_encoding', value: 'UTF8' }],
        },
        {
          parameters: { standard_conforming_strings: 'off' },
          goals: [{ setting: 'standard_conforming_strings', value: 'off' }],
        },
        {
          parameters: { Standard_Conforming_Strings: 'off' },
          goals: [{ setting: 'standard_conforming_strings', value: 'off' }],
        },
        {
          parameters: { standard_conforming_strings: 'off', backslash_quote: 'on' },
          goals: [
            { setting: 'standard_conforming_strings', value: 'off' },
            { setting: 'backslash_quote', value: 'on' },
          ],
        },
        {
          parameters: { client_encoding: 'UTF8', CLIENT_ENCODING: 'GBK' },
          goals: [{ setting: 'client_encoding', value: 'GBK' }],
        },
      ] as { parameters: Record<string, string>; goals: Goal[] }[]);
      state.parameters = choice.parameters;
      goals.push(...choice.goals);
      break;
    }
    case 'SET': {
      state.transaction = random.chance(0.25);
      for (let n = random.chance(0.3) ? 2 : 1; n > 0; n--) {
        const goal = pickGoal(random, context);
        goals.push(goal);
        state.steps.push(setStatement(random, goal, state.transaction));
      }
      break;
    }
    case 'set_config': {
      state.transaction = random.chance(0.2);
      const goal = pickGoal(random, context);
      goals.push(goal);
      state.steps.push(setConfigStatement(random, goal, state.transaction));
      break;
    }
    case 'UPDATE pg_settings': {
      const goal = pickGoal(random, context);
      goals.push(goal);
      state.steps.push(updateSettings(random, goal));
      break;
    }
    case 'procedural code': {
      const goal = pickGoal(random, context);
      if (random.chance(0.15)) {
        state.steps = routineClause(random, goal);
        state.persistent = true;
      } else {
        goals.push(goal);
        const made = procedural(random, goal);
        state.steps = made.steps;
        state.persistent = made.persistent;
      }
      break;
    }
    case 'defaults set by the client': {
      const goal = pickGoal(random, context);
      const statement = defaultStatement(random, goal, context, 'client');
      if (statement) state.setup.push(statement);
      goals.push(goal);
      state.steps = backToDefault(random, goal);
      state.fresh = true;
      state.persistent = true;
      break;
    }
    case 'defaults set by an administrator': {
      const goal = pickGoal(random, context);
      state.admin.push(defaultStatement(random, goal, context, 'admin')!);
      goals.push(goal);
      state.steps = backToDefault(random, goal);
      if (goal.setting === 'client_encoding' && random.chance(0.2)) {
        // A client asking for UTF8 at start-up outranks every default.
        state.parameters = { client_encoding: 'UTF8' };
        goals.push({ setting: 'client_encoding', value: 'UTF8' });
      }
      state.fresh = true;
      state.persistent = true;
      break;
    }
    case 'server configuration reloaded': {
      const goal = random.weighted<Goal>([
        [6, { setting: 'standard_conforming_strings', value: random.pick(['off', 'false']) }],
        [2, { setting: 'client_encoding', value: random.pick(['SJIS', 'BIG5', 'GBK']) }],
        [1, { setting: 'backslash_quote', value: 'on' }],
      ]);
      const statements = [
        `alter system set ${goal.setting} = '${goal.value}'`,
        'select pg_reload_conf()',
      ];
      if (random.chance(0.5)) {
        // Before the session logs in: it starts with the new value.
        state.admin = statements;
        state.fresh = true;
        goals.push(goal);
      } else {
        // While the session is open: the backend reloads before running its next message
        // (client_encoding from the file reaches only sessions that start after).
        state.adminDuring = statements;
        if (goal.setting !== 'client_encoding') goals.push(goal);
      }
      state.persistent = true;
      break;
    }
  }
  state.aim = goals.reduce((aim, goal) => applied(aim, goal, context), DEFAULT_AIM);
  state.label = describe(state);
  return state;
}

function describe(state: SessionState): string {
  const parts: string[] = [];
  if (state.admin.length > 0) parts.push(`admin before login: ${state.admin.join('; ')}`);
  if (state.setup.length > 0) parts.push(`earlier session: ${state.setup.join('; ')}`);
  if (state.parameters) parts.push(`start-up ${JSON.stringify(state.parameters)}`);
  if (state.fresh) parts.push('on a new backend');
  if (state.steps.length > 0)
    parts.push(`${state.transaction ? 'in BEGIN: ' : ''}${state.steps.join('; ')}`);
  else if (state.transaction) parts.push('in BEGIN');
  if (state.adminDuring.length > 0) parts.push(`admin while open: ${state.adminDuring.join('; ')}`);
  return parts.length > 0 ? parts.join(' | ') : 'defaults';
}

/** The aim in words (for reports). */
export function describeAim(aim: LexAim): string {
  const parts: string[] = [];
  if (aim.backslashes) parts.push('standard_conforming_strings off');
  if (aim.backslashQuote !== 'safe_encoding') parts.push(`backslash_quote ${aim.backslashQuote}`);
  if (aim.encoding) parts.push(`client_encoding ${aim.encoding}`);
  if (aim.rawBytes) parts.push('raw bytes (SQL_ASCII client and database)');
  return parts.length > 0 ? parts.join(', ') : 'defaults';
}
