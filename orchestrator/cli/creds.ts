// `banyan creds`: the production broker's accounts (Mosquitto password file + ACL + config) and
// the HTTP API's tokens. Secrets go to 0600 files or, for API tokens, to stdout once; never to logs.
import { appendFileSync, chmodSync, existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEFAULT_TOPIC_ROOT } from '../../protocol/topics.ts';
import { issueApiToken, ROLES, type Role } from '../api/auth.ts';
import { DEFAULT_ORCHESTRATOR_USER } from '../creds/acl.ts';
import { addAccount, CredsError, initBrokerConfig, listAccounts, removeAccount } from '../creds/broker-files.ts';

const HELP = `banyan creds — accounts for the production broker and tokens for the API

Usage:
  banyan creds init   [--dir DIR] [--topic-root R] [--port 8883] [--bind ADDR]
                      [--cafile F --certfile F --keyfile F] [--require-certificate]
                      [--orchestrator-user NAME]
      writes DIR/mosquitto.conf and DIR/acl; creates the orchestrator's account
  banyan creds add NODE [--dir DIR] [--rotate]
      an account whose username is the node id; its password goes to DIR/secrets/NODE.password (0600)
  banyan creds remove NODE [--dir DIR]
  banyan creds list [--dir DIR]
  banyan creds token NAME --role viewer|operator|admin --file FILE
      a new API token, printed once; FILE keeps only its SHA-256

  --dir DIR    the broker's config directory (default /etc/banyan/broker)
  --json       machine-readable output
Mosquitto reloads the password file and ACL on SIGHUP: systemctl reload mosquitto.`;

export async function credsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      dir: { type: 'string', default: '/etc/banyan/broker' },
      'topic-root': { type: 'string', default: DEFAULT_TOPIC_ROOT },
      port: { type: 'string', default: '8883' },
      bind: { type: 'string' },
      cafile: { type: 'string' },
      certfile: { type: 'string' },
      keyfile: { type: 'string' },
      'require-certificate': { type: 'boolean', default: false },
      'orchestrator-user': { type: 'string', default: DEFAULT_ORCHESTRATOR_USER },
      rotate: { type: 'boolean', default: false },
      role: { type: 'string' },
      file: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [sub, name] = positionals;
  if (values.help || !sub) {
    console.log(HELP);
    return values.help ? 0 : 2;
  }
  const out = (human: string, data: object) => console.log(values.json ? JSON.stringify(data) : human);
  try {
    switch (sub) {
      case 'init': {
        const tlsGiven = [values.cafile, values.certfile, values.keyfile].filter(Boolean).length;
        if (tlsGiven !== 0 && tlsGiven !== 3) throw new CredsError('give --cafile, --certfile and --keyfile together');
        const { created, paths } = initBrokerConfig({
          dir: values.dir,
          topicRoot: values['topic-root'],
          orchestratorUser: values['orchestrator-user'],
          port: Number(values.port),
          bindAddress: values.bind,
          tls: values.cafile
            ? { cafile: values.cafile, certfile: values.certfile!, keyfile: values.keyfile!, requireCertificate: values['require-certificate'] }
            : undefined,
        });
        if (!values.cafile) console.error('warning: no TLS files given; the listener is plaintext. Pass --cafile/--certfile/--keyfile for production.');
        out(
          `wrote ${paths.conf} and ${paths.acl}` + (created ? `\norchestrator account ${created.username}: password in ${created.secretFile}` : ''),
          { conf: paths.conf, acl: paths.acl, passwd: paths.passwd, orchestrator: created && { username: created.username, secretFile: created.secretFile } },
        );
        return 0;
      }
      case 'add': {
        if (!name) throw new CredsError('name the node: banyan creds add NODE');
        const acct = addAccount(values.dir, name, { rotate: values.rotate });
        out(`account ${acct.username}: password in ${acct.secretFile}; copy it to the node's passwordFile (mode 0600)`, {
          username: acct.username,
          secretFile: acct.secretFile,
        });
        return 0;
      }
      case 'remove': {
        if (!name) throw new CredsError('name the node: banyan creds remove NODE');
        const removed = removeAccount(values.dir, name);
        out(removed ? `removed ${name}` : `no account ${name}`, { username: name, removed });
        return removed ? 0 : 1;
      }
      case 'list': {
        const accounts = listAccounts(values.dir);
        out(accounts.join('\n'), { accounts });
        return 0;
      }
      case 'token': {
        if (!name || !values.file) throw new CredsError('usage: banyan creds token NAME --role ROLE --file FILE');
        if (!(ROLES as readonly string[]).includes(values.role ?? '')) throw new CredsError(`--role must be one of ${ROLES.join(', ')}`);
        const { token, line } = issueApiToken(name, values.role as Role);
        const fresh = !existsSync(values.file);
        appendFileSync(values.file, line + '\n', { mode: 0o600 });
        if (fresh) chmodSync(values.file, 0o600);
        out(`token for ${name} (${values.role}), shown once:\n${token}`, { name, role: values.role, token, file: values.file });
        return 0;
      }
      default:
        console.error(`banyan creds: unknown sub-command "${sub}"\n\n${HELP}`);
        return 2;
    }
  } catch (e) {
    if (e instanceof CredsError || (e as Error).name === 'TokenConfigError' || (e as Error).name === 'PasswordFileError') {
      console.error(`banyan creds: ${(e as Error).message}`);
      return 1;
    }
    throw e;
  }
}
