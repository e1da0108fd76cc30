import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import ssh2 from 'ssh2';
import { ssh2Client, ssh2Exec, startSshEnv, type SshEnv } from '../helpers/ssh-gateway.js';

/*
 * Ways to run a denied command (`rm`, `unlink`, `shred`) past a rule on
 * `rm *`: every line first runs straight against sshd, where it must
 * delete its canary (so the attack is real), then through the gateway,
 * where it must be refused with exit status 3 and leave its canary there.
 */

/** Each case builds its line from the canary's path and directory. */
const EVASIONS: [string, (file: string, dir: string, base: string) => string][] = [
  ['plain', (f) => `rm ${f}`],
  ['absolute path', (f) => `/bin/rm ${f}`],
  ['other absolute path', (f) => `/usr/bin/rm ${f}`],
  ['relative path', (f) => `cd /usr/bin && ./rm ${f}`],
  ['backslash inside', (f) => `r\\m ${f}`],
  ['backslash in front', (f) => `\\rm ${f}`],
  ['double quotes', (f) => `"rm" ${f}`],
  ['single quotes in part', (f) => `'r'm ${f}`],
  ['empty quotes inside', (f) => `r""m ${f}`],
  ['ANSI-C hex escape', (f) => `r$'\\x6d' ${f}`],
  ['ANSI-C whole name', (f) => `$'\\x72\\x6d' ${f}`],
  ['ANSI-C octal', (f) => `$'\\162\\155' ${f}`],
  ['command substitution as name', (f) => `$(echo rm) ${f}`],
  ['backquotes as name', (f) => `\`echo rm\` ${f}`],
  ['variable as name', (f) => `a=rm; $a ${f}`],
  ['braced default as name', (f) => `\${a:-rm} ${f}`],
  ['after ;', (f) => `echo x; rm ${f}`],
  ['after newline', (f) => `echo x\nrm ${f}`],
  ['after &&', (f) => `true && rm ${f}`],
  ['after ||', (f) => `false || rm ${f}`],
  ['in a pipeline', (f) => `echo x | rm ${f}`],
  ['in the background', (f) => `rm ${f} & wait`],
  ['in a subshell', (f) => `(rm ${f})`],
  ['in a group', (f) => `{ rm ${f}; }`],
  ['in a command substitution', (f) => `echo $(rm ${f})`],
  ['in a quoted substitution', (f) => `echo "$(rm ${f})"`],
  ['in backquotes', (f) => `echo \`rm ${f}\``],
  ['in a redirection target', (f) => `echo x > $(rm ${f}; echo /dev/null)`],
  ['in an assignment', (f) => `x=$(rm ${f})`],
  ['in a process substitution', (f) => `cat <(rm ${f})`],
  ['in if', (f) => `if true; then rm ${f}; fi`],
  ['in a for loop', (f) => `for x in ${f}; do rm $x; done`],
  ['in a while loop', (f) => `while true; do rm ${f}; break; done`],
  ['in a function', (f) => `g() { rm ${f}; }; g`],
  ['sh -c', (f) => `sh -c 'rm ${f}'`],
  ['bash -c', (f) => `bash -c "rm ${f}"`],
  ['bash -lc', (f) => `bash -lc 'rm ${f}'`],
  ['nested sh -c', (f) => `sh -c "sh -c 'rm ${f}'"`],
  ['sh -c with escapes', (f) => `bash -c 'r\\m ${f}'`],
  ['sh -c of a substitution', (f) => `sh -c "$(printf 'rm ${f}')"`],
  ['shell reading its input', (f) => `echo 'rm ${f}' | sh`],
  [
    'base64 into a shell',
    (f) => `echo ${Buffer.from(`rm ${f}`).toString('base64')} | base64 -d | bash`,
  ],
  ['here-string into bash', (f) => `bash <<< 'rm ${f}'`],
  ['here-document into sh', (f) => `sh <<EOF\nrm ${f}\nEOF`],
  ['env', (f) => `env rm ${f}`],
  ['env with options', (f) => `env -i PATH=/bin:/usr/bin rm ${f}`],
  ['env -S', (f) => `env -S 'rm ${f}'`],
  ['assignment prefix', (f) => `X=1 rm ${f}`],
  ['nice', (f) => `nice -n 5 rm ${f}`],
  ['nohup', (f) => `nohup rm ${f} 2>/dev/null`],
  ['timeout', (f) => `timeout 5 rm ${f}`],
  ['command', (f) => `command rm ${f}`],
  ['command -p', (f) => `command -p rm ${f}`],
  ['exec', (f) => `exec rm ${f}`],
  ['exec -a', (f) => `exec -a other rm ${f}`],
  ['time', (f) => `time rm ${f}`],
  ['stdbuf', (f) => `stdbuf -o0 rm ${f}`],
  ['setsid', (f) => `setsid -w rm ${f}`],
  ['xargs', (f) => `echo ${f} | xargs rm`],
  ['xargs -I', (f) => `echo ${f} | xargs -I{} rm {}`],
  ['xargs sh -c', (f) => `echo x | xargs sh -c 'rm ${f}'`],
  ['find -delete', (_f, d, b) => `find ${d} -name ${b} -delete`],
  ['find -exec', (_f, d, b) => `find ${d} -name ${b} -exec rm {} \\;`],
  ['find -exec absolute +', (_f, d, b) => `find ${d} -name ${b} -exec /bin/rm {} +`],
  ['find -execdir', (_f, d, b) => `find ${d} -name ${b} -execdir rm {} \\;`],
  ['eval', (f) => `eval rm ${f}`],
  ['eval of quoted parts', (f) => `eval "r""m ${f}"`],
  ['source of a process substitution', (f) => `. <(echo rm ${f})`],
  ['trap', (f) => `trap 'rm ${f}' EXIT`],
  ['shell in a variable', (f) => `$SHELL -c 'rm ${f}'`],
  ['python', (f) => `python3 -c 'import os; os.remove("${f}")'`],
  ['perl', (f) => `perl -e 'unlink "${f}"'`],
  ['awk system()', (f) => `awk 'BEGIN { system("rm ${f}") }'`],
  ['glob as name', (f) => `/bin/r? ${f}`],
  ['bracket glob as name', (f) => `/bin/r[m] ${f}`],
  ['brace expansion', (f) => `{rm,${f}}`],
  ['unlink', (f) => `unlink ${f}`],
  ['shred', (f) => `shred -u ${f}`],
  ['xargs -0 from printf', (f) => `printf '%s\\0' ${f} | xargs -0 rm`],
];

describe('SSH adversarial: ways to run a denied command', () => {
  let env: SshEnv;
  let dir: string;
  let direct: ssh2.Client;
  let gateway: ssh2.Client;

  before(async () => {
    env = await startSshEnv({
      policy: [
        { name: 'no-delete', match: { commands: ['rm *', 'unlink *', 'shred *'] }, effect: 'deny' },
        { name: 'everything-else', match: { groups: ['agents'] }, effect: 'allow' },
      ],
    });
    dir = await mkdtemp(path.join(os.tmpdir(), 'hoop-ssh-canary-'));
    direct = new ssh2.Client();
    await new Promise<void>((resolve, reject) => {
      direct.once('ready', () => resolve());
      direct.once('error', reject);
      void readFile(env.sshd.clientKeyFile, 'utf8').then((privateKey) =>
        direct.connect({
          host: '127.0.0.1',
          port: env.sshd.port,
          username: env.sshd.user,
          privateKey,
        }),
      );
    });
    gateway = await ssh2Client(env);
  });

  after(async () => {
    direct?.end();
    gateway?.end();
    await env?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  EVASIONS.forEach(([name, build], index) => {
    it(`refuses ${name}, the canary intact`, async () => {
      const base = `canary-${index}`;
      const file = path.join(dir, base);
      const line = build(file, dir, base);
      await writeFile(file, 'canary\n');
      // Straight against sshd the line deletes: the attack is real.
      await ssh2Exec(direct, line);
      assert.ok(!existsSync(file), `straight against sshd, ${JSON.stringify(line)} must delete`);
      await writeFile(file, 'canary\n');
      const result = await ssh2Exec(gateway, line);
      assert.equal(result.code, 3, `${JSON.stringify(line)}: ${result.stdout}${result.stderr}`);
      assert.match(result.stderr, /no-delete/);
      assert.ok(existsSync(file), `${JSON.stringify(line)} reached the host`);
    });
  });

  it('lets an allowed command run on the same connection (the suite tests refusals, not an outage)', async () => {
    const file = path.join(dir, 'allowed');
    await writeFile(file, 'kept\n');
    const result = await ssh2Exec(gateway, `cat ${file}`);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'kept\n');
  });
});
