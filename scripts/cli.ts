/**
 * `npm run cli -- <command>`: the API from a terminal, for ops and clients alike.
 *
 *   login [--api URL] [--username NAME]   sign in (password prompted without echo, or read from stdin)
 *   ls                                    files you can see
 *   upload FILE [--name NAME]             ops: upload straight to storage, verify, print the result
 *   share ID [--client NAME…] [--group NAME…] [--all] [--replace]
 *         [--expires WHEN] [--max-downloads N] [--no-notify]   ops: grant a file to clients and groups
 *   access ID                             ops: who can see a file now, and why
 *   groups [list | show | create | rename | delete | add | remove | set] …   ops: client groups
 *   download ID [--out PATH] [--force]    clients: fetch a file through its encrypted link
 *   audit ID                              ops: who downloaded a file
 *   invite EMAIL [--ops]                  ops: invite someone to sign up (as ops: administrators only)
 *   users [--status S] [--role R] [--search Q] [--json]   ops: the accounts
 *   approve | disable | enable USER       ops: by username, email or id
 *   passwd                                change your password (prompted without echo, or two lines of stdin)
 *   whoami | logout [--everywhere]
 *
 * The session (API URL, access token, refresh token) is kept in $SFS_CONFIG, by default
 * ~/.config/secure-file-share/session.json, readable by you only. An access token lasts minutes;
 * before it runs out the refresh token, used once, gets the next pair, so a sign-in lasts days.
 */
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { text } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { SingleBar } from 'cli-progress';
import { Command, Option } from 'commander';
import type { InferResponseType } from 'hono/client';
import { read } from 'read';
import { type ApiClient, ApiError, ApiUnreachable, createApiClient, downloadLinkToken, unwrap } from '../api-client/client';
import { documentTypeForFilename } from '../shared/document-types';
import { formatSize } from '../shared/format-size';

interface Session {
  apiUrl: string;
  accessToken: string;
  /** When the access token runs out (ms since the epoch). */
  accessExpiresAt?: number;
  /** Used once by the next refresh, which gives its successor. */
  refreshToken?: string;
  username: string;
  role: string;
}

/** Refreshed this long before the access token runs out, so a command never starts with a dying one. */
const REFRESH_MARGIN_MS = 60_000;

const sessionFile = () =>
  process.env.SFS_CONFIG ??
  path.join(process.env.XDG_CONFIG_HOME ?? path.join(os.homedir(), '.config'), 'secure-file-share', 'session.json');

class CliError extends Error {}

async function loadSession(): Promise<Session> {
  let session: Session;
  try {
    session = JSON.parse(await readFile(sessionFile(), 'utf8')) as Session;
  } catch {
    throw new CliError('Not signed in: run `npm run cli -- login` first.');
  }
  if (session.refreshToken && (session.accessExpiresAt ?? 0) - REFRESH_MARGIN_MS < Date.now()) {
    // The refresh token is used up by this call: the new one is saved before anything else runs.
    const result = await unwrap(apiAt(session.apiUrl).api.auth.refresh.$post({ json: { refreshToken: session.refreshToken } })).catch(
      (error: unknown) => {
        if (error instanceof ApiError && error.status === 401) {
          throw new CliError('Your session has ended (signed out, idle too long, or too old): run `npm run cli -- login` again.');
        }
        throw error;
      },
    );
    session = {
      ...session,
      accessToken: result.accessToken,
      accessExpiresAt: Date.now() + result.expiresIn * 1000,
      ...(result.refreshToken ? { refreshToken: result.refreshToken } : {}),
    };
    await saveSession(session);
  }
  return session;
}

async function saveSession(session: Session) {
  const file = sessionFile();
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  // Never a moment when the token sits in a file others can read: private temp file, then rename.
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(session, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  await rename(temp, file);
}

/** The API through the typed client, signed out (to sign in) or as the session's user. */
function apiAt(apiUrl: string, session?: Session) {
  return createApiClient(apiUrl, {
    token: () => session?.accessToken,
    init: { redirect: 'manual' },
    onUnauthenticated: () => {
      if (session) throw new CliError('Your session has expired or was signed out: run `npm run cli -- login` again.');
    },
  });
}
const signedIn = (session: Session) => apiAt(session.apiUrl, session);

type FilePage = InferResponseType<ApiClient['api']['files']['$get'], 200>;
type GroupPage = InferResponseType<ApiClient['api']['groups']['$get'], 200>;
type Group = GroupPage['items'][number];
type UserPage = InferResponseType<ApiClient['api']['users']['$get'], 200>;
type User = UserPage['items'][number];

/** What went wrong, in words: a problem+json answer gives its detail and its field errors. */
function describe(error: unknown): string {
  if (error instanceof ApiError) return `${error.detail}${error.errors.map((e) => `\n  ${e.path}: ${e.message}`).join('')}`;
  return error instanceof Error ? error.message : String(error);
}

function progressBar(label: string, total: number) {
  const bar = new SingleBar({
    format: `${label} [{bar}] {percentage}% | {done}/{size}`,
    barCompleteChar: '#',
    barIncompleteChar: '-',
    hideCursor: true,
    noTTYOutput: true, // scripts and CI logs get the bar too, at a slower pace
    stream: process.stderr,
  });
  bar.start(total, 0, { done: formatSize(0), size: formatSize(total) });
  return {
    update: (done: number) => bar.update(done, { done: formatSize(done), size: formatSize(total) }),
    stop: () => bar.stop(),
  };
}

/** Counts bytes flowing through, for a progress bar. */
const counter = (onBytes: (n: number) => void) =>
  new Transform({
    transform(chunk: Buffer, _encoding, done) {
      onBytes(chunk.length);
      done(null, chunk);
    },
  });

async function readPassword(prompt = 'Password: '): Promise<string> {
  if (process.stdin.isTTY) return read({ prompt, silent: true, replace: '' });
  return (await text(process.stdin)).replace(/\r?\n$/, '');
}

/** Several secrets: prompted for in turn without echo, or one per line of standard input. */
async function readPasswords(prompts: string[]): Promise<string[]> {
  if (process.stdin.isTTY) {
    const answers: string[] = [];
    for (const prompt of prompts) answers.push(await readPassword(prompt));
    return answers;
  }
  const lines = (await text(process.stdin)).split(/\r?\n/).slice(0, prompts.length);
  if (lines.length < prompts.length || lines.some((line) => line === '')) {
    throw new CliError(
      `Give ${prompts.length} lines on standard input: ${prompts.map((p) => p.replace(/: $/, '').toLowerCase()).join(', ')}.`,
    );
  }
  return lines;
}

/** Every account matching the filters, through every page. */
async function allUsers(client: ApiClient, filters: { q?: string; role?: 'ops' | 'client'; status?: User['status'] }): Promise<User[]> {
  const rows: User[] = [];
  let cursor: string | null = null;
  do {
    const page: UserPage = await unwrap(client.api.users.$get({ query: { ...filters, limit: '100', cursor: cursor ?? undefined } }));
    rows.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return rows;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The account a username, an email or an id names (found through the list's search). */
async function findUser(client: ApiClient, who: string): Promise<{ id: string; username: string }> {
  if (UUID.test(who)) return { id: who.toLowerCase(), username: who };
  const wanted = who.trim().toLowerCase();
  const found = (await allUsers(client, { q: wanted })).find((u) => u.username === wanted || u.email === wanted);
  if (!found) throw new CliError(`No account is called ${who}.`);
  return found;
}

/** Columns padded to their widest cell, two spaces apart, the last one as it is. */
function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ')).join('\n');
}

/** Every group whose name starts with `q` (all of them without), through every page. */
async function allGroups(client: ApiClient, q?: string): Promise<Group[]> {
  const rows: Group[] = [];
  let cursor: string | null = null;
  do {
    const page: GroupPage = await unwrap(
      client.api.groups.$get({ query: { ...(q ? { q } : {}), limit: '200', cursor: cursor ?? undefined } }),
    );
    rows.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return rows;
}

/** The group a name (any case) or an id names. */
async function findGroup(client: ApiClient, name: string): Promise<Group> {
  const wanted = name.trim().replace(/\s+/g, ' ').toLowerCase();
  const found = UUID.test(name)
    ? (await allGroups(client)).find((g) => g.id === name.toLowerCase())
    : (await allGroups(client, wanted)).find((g) => g.name.toLowerCase() === wanted);
  if (!found) throw new CliError(`No group is called ${name}.`);
  return found;
}

const DURATION = /^(\d+)([mhdw])$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** `--expires`: an ISO 8601 date and time with its zone, or a duration from now (30m, 12h, 7d, 2w). */
function parseEnd(value: string): string {
  const duration = DURATION.exec(value.trim());
  if (duration) return new Date(Date.now() + Number(duration[1]) * UNIT_MS[duration[2] as keyof typeof UNIT_MS]).toISOString();
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value.trim())) {
    throw new CliError(
      `--expires takes a date and time with its zone (2030-01-31T18:00:00Z) or a duration (30m, 12h, 7d, 2w), not "${value}".`,
    );
  }
  return value.trim();
}

const day = (iso: string) => iso.slice(0, 16).replace('T', ' ');

/** A grant's terms in words: "until 2030-01-31 18:00, 3 downloads". */
const termsText = (t: { expiresAt: string | null; maxDownloads: number | null }) =>
  [t.expiresAt ? `until ${day(t.expiresAt)}` : '', t.maxDownloads !== null ? `${t.maxDownloads} download(s)` : '']
    .filter(Boolean)
    .join(', ');

/** A name with its grant's terms, if it has any: "carol (until 2030-01-31 18:00)". */
const withTerms = (label: string, t: { expiresAt: string | null; maxDownloads: number | null }) =>
  termsText(t) ? `${label} (${termsText(t)})` : label;

const program = new Command('cli').description('Secure file sharing from the terminal.').showHelpAfterError();

program
  .command('login')
  .description('sign in and keep the session for the other commands')
  .option('--api <url>', 'the service URL', process.env.SFS_API_URL ?? 'http://127.0.0.1:3000')
  .option('--username <name>', 'username or email')
  .action(async (options: { api: string; username?: string }) => {
    const apiUrl = options.api.replace(/\/+$/, '').replace(/\/api$/, '');
    const { protocol, hostname } = new URL(apiUrl);
    if (protocol === 'http:' && !['127.0.0.1', 'localhost', '[::1]'].includes(hostname)) {
      console.error(`Warning: ${apiUrl} is plain http; your password and token cross the network unencrypted.`);
    }
    if (!options.username && !process.stdin.isTTY) {
      throw new CliError('Give --username when the password comes from standard input.');
    }
    const username = options.username ?? (await read<string>({ prompt: 'Username or email: ' }));
    const result = await unwrap(
      apiAt(apiUrl).api.auth.login.$post({ json: { username, password: await readPassword(), refreshTokenIn: 'body' } }),
    );
    await saveSession({
      apiUrl,
      accessToken: result.accessToken,
      accessExpiresAt: Date.now() + result.expiresIn * 1000,
      ...(result.refreshToken ? { refreshToken: result.refreshToken } : {}),
      username: result.user.username,
      role: result.user.role,
    });
    console.log(`Signed in to ${apiUrl} as ${result.user.username} (${result.user.role}).`);
  });

program
  .command('logout')
  .description('sign out of this session (--everywhere: every session of yours) and forget it')
  .option('--everywhere', 'end every session of your account, on every device')
  .action(async (options: { everywhere?: boolean }) => {
    const session = await loadSession().catch(async (error: unknown) => {
      await rm(sessionFile(), { force: true });
      throw error;
    });
    const auth = signedIn(session).api.auth;
    const confirmed = await unwrap(options.everywhere ? auth['logout-all'].$post() : auth.logout.$post()).then(
      () => true,
      () => false,
    );
    await rm(sessionFile(), { force: true });
    if (confirmed) console.log(options.everywhere ? 'Signed out everywhere.' : 'Signed out.');
    else
      throw new CliError(
        'The session was forgotten here, but the service did not confirm the sign-out: its access token stays valid until it expires (at most 15 minutes).',
      );
  });

program
  .command('whoami')
  .description('the signed-in user')
  .action(async () => {
    const { user } = await unwrap(signedIn(await loadSession()).api.me.$get());
    console.log(`${user.username} <${user.email}> (${user.role})`);
  });

program
  .command('ls')
  .description('files you can see, newest first')
  .action(async () => {
    const session = await loadSession();
    const client = signedIn(session);
    const rows: FilePage['items'] = [];
    let cursor: string | null = null;
    do {
      const page: FilePage = await unwrap(client.api.files.$get({ query: { limit: '100', cursor: cursor ?? undefined } }));
      rows.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    if (rows.length === 0) {
      console.log(session.role === 'ops' ? 'No files yet.' : 'Nothing has been shared with you yet.');
      return;
    }
    for (const f of rows) {
      const access = f.access
        ? [
            f.access.expiresAt ? `until ${day(f.access.expiresAt)}` : '',
            f.access.downloadsRemaining !== null ? `${f.access.downloadsRemaining} download(s) left` : '',
          ].filter(Boolean)
        : [];
      console.log(
        [
          f.id,
          f.status.padEnd(8),
          formatSize(f.size).padStart(10),
          f.createdAt.slice(0, 16).replace('T', ' '),
          f.filename + (access.length ? `  (${access.join(', ')})` : ''),
        ].join('  '),
      );
    }
  });

program
  .command('upload')
  .description('ops: upload a .docx, .pptx or .xlsx straight to storage and verify it')
  .argument('<file>', 'path of the document')
  .option('--name <filename>', 'the name people will see (default: the file name)')
  .action(async (file: string, options: { name?: string }) => {
    const client = signedIn(await loadSession());
    const filename = options.name ?? path.basename(file);
    const type = documentTypeForFilename(filename);
    if (!type) throw new CliError('Only .docx, .pptx and .xlsx files can be uploaded.');
    const size = (await stat(file).catch(() => null))?.size;
    if (size === undefined) throw new CliError(`No such file: ${file}`);

    const started = await unwrap(client.api.files.$post({ json: { filename, contentType: type.contentType, size } }));
    const bar = progressBar('upload  ', size);
    let sent = 0;
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const url = new URL(started.upload.url);
        const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(
          url,
          { method: 'PUT', headers: started.upload.headers },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', reject);
        pipeline(
          createReadStream(file),
          counter((n) => {
            sent += n;
            bar.update(sent);
          }),
          req,
        ).catch(reject);
      });
      if (status !== 200) throw new CliError(`Storage refused the upload (HTTP ${status}); nothing was stored.`);
    } finally {
      bar.stop();
    }
    try {
      const done = await unwrap(client.api.files[':id'].complete.$post({ param: { id: encodeURIComponent(started.file.id) } }));
      console.log(`${done.file.id}  ready  ${done.file.filename}`);
    } catch (error) {
      throw new CliError(`Rejected: ${describe(error)}`);
    }
  });

program
  .command('share')
  .description('ops: grant a file to clients and groups (added to those it already has, unless --replace)')
  .argument('<id>', 'file id')
  .option('--client <username...>', 'client usernames', [])
  .option('--group <name...>', 'client group names (any case)', [])
  .option('--all', 'share with every active client')
  .option('--no-all', 'stop sharing with every client')
  .option('--replace', 'make these clients and groups the whole grant set')
  .option('--expires <when>', 'the grants named here end then: a date and time with its zone, or a duration (30m, 12h, 7d, 2w)')
  .option('--max-downloads <n>', 'each client may download the file this many times under the grants named here')
  .option('--no-notify', 'do not email the clients who gain access')
  .action(
    async (
      id: string,
      options: {
        client: string[];
        group: string[];
        all?: boolean;
        replace?: boolean;
        expires?: string;
        maxDownloads?: string;
        notify: boolean;
      },
    ) => {
      const sharing = signedIn(await loadSession()).api.files[':id'].sharing;
      const param = { id: encodeURIComponent(id) };
      let maxDownloads: number | undefined;
      if (options.maxDownloads !== undefined) {
        maxDownloads = Number(options.maxDownloads);
        if (!Number.isInteger(maxDownloads) || maxDownloads < 1) throw new CliError('--max-downloads takes a whole number, 1 or more.');
      }
      const terms = {
        ...(options.expires !== undefined ? { expiresAt: parseEnd(options.expires) } : {}),
        ...(maxDownloads !== undefined ? { maxDownloads } : {}),
      };
      const current = options.replace ? { allClients: false as const, clients: [], groups: [] } : await unwrap(sharing.$get({ param }));
      // Grants already there are named bare, which keeps their terms; the ones named here get these terms.
      const named = new Set(options.client.map((c) => c.toLowerCase()));
      const clients = [
        ...current.clients.filter((c) => !named.has(c.username)).map((c) => c.username),
        ...[...named].map((username) => ({ username, ...terms })),
      ];
      const namedGroups = new Map(options.group.map((g) => [g.trim().toLowerCase(), g.trim()]));
      const groups =
        options.replace || namedGroups.size > 0
          ? [
              ...current.groups.filter((g) => !namedGroups.has(g.name.toLowerCase())).map((g) => g.name),
              ...[...namedGroups.values()].map((name) => ({ name, ...terms })),
            ]
          : undefined;
      const allClients = options.all === undefined ? current.allClients !== false : options.all;
      const result = await unwrap(
        sharing.$put({
          param,
          json: {
            allClients: options.all && Object.keys(terms).length ? terms : allClients,
            clients,
            ...(groups ? { groups } : {}),
            notify: options.notify,
          },
        }),
      );
      const everyone = result.allClients === false ? 'no one by default' : withTerms('all clients', result.allClients);
      const clientList = result.clients.map((c) => withTerms(c.username, c)).join(', ');
      const groupList = result.groups.map((g) => withTerms(g.name, g)).join(', ');
      console.log(`Shared with ${everyone}${clientList ? `; clients: ${clientList}` : ''}${groupList ? `; groups: ${groupList}` : ''}.`);
    },
  );

program
  .command('access')
  .description('ops: every client who can see a file now, and why')
  .argument('<id>', 'file id')
  .action(async (id: string) => {
    const client = signedIn(await loadSession());
    type Page = InferResponseType<ApiClient['api']['files'][':id']['access']['$get'], 200>;
    const rows: Page['items'] = [];
    let cursor: string | null = null;
    do {
      const page: Page = await unwrap(
        client.api.files[':id'].access.$get({
          param: { id: encodeURIComponent(id) },
          query: { limit: '500', cursor: cursor ?? undefined },
        }),
      );
      rows.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    if (rows.length === 0) {
      console.log('No client can see this file now.');
      return;
    }
    console.log(
      table([
        ['CLIENT', 'VIA', 'UNTIL', 'DOWNLOADS', 'LAST'],
        ...rows.map((r) => [
          r.client.username,
          r.via.map((v) => (v.kind === 'group' ? `group ${v.group?.name}` : v.kind === 'direct' ? 'by name' : 'all clients')).join(', '),
          r.expiresAt ? day(r.expiresAt) : '-',
          `${r.downloadsUsed}${r.maxDownloads !== null ? `/${r.maxDownloads}` : ''}`,
          r.lastDownloadAt ? day(r.lastDownloadAt) : '-',
        ]),
      ]),
    );
  });

const groups = program
  .command('groups')
  .description('ops: client groups (with no subcommand: the list)')
  .action(async () => {
    const rows = await allGroups(signedIn(await loadSession()));
    if (rows.length === 0) {
      console.log('No groups yet.');
      return;
    }
    console.log(
      table([
        ['NAME', 'MEMBERS', 'ACTIVE', 'CREATED'],
        ...rows.map((g) => [g.name, String(g.members), String(g.activeMembers), day(g.createdAt)]),
      ]),
    );
  });

groups
  .command('list')
  .description('the groups, by name, with their member counts')
  .option('--search <text>', 'only those whose name starts with it')
  .action(async (options: { search?: string }) => {
    const rows = await allGroups(signedIn(await loadSession()), options.search);
    if (rows.length === 0) console.log('No groups match.');
    for (const g of rows) console.log(`${g.name}  (${g.members} member(s), ${g.activeMembers} active)`);
  });

groups
  .command('show')
  .description('one group: its members and the files shared with it')
  .argument('<group>', 'name or id')
  .action(async (name: string) => {
    const client = signedIn(await loadSession());
    const { id } = await findGroup(client, name);
    const detail = await unwrap(client.api.groups[':id'].$get({ param: { id: encodeURIComponent(id) } }));
    console.log(`${detail.group.name}: ${detail.group.members} member(s), ${detail.group.activeMembers} active`);
    for (const m of detail.members) console.log(`  ${m.username}${m.status === 'active' ? '' : ` (${m.status})`}`);
    if (detail.files.length) console.log('Files:');
    for (const f of detail.files) console.log(`  ${f.file.id}  ${withTerms(f.file.filename, f)}`);
  });

groups
  .command('create')
  .description('a new, empty group')
  .argument('<name>', 'its name (unique whatever the case)')
  .action(async (name: string) => {
    const { group } = await unwrap(signedIn(await loadSession()).api.groups.$post({ json: { name } }));
    console.log(`Created group ${group.name}.`);
  });

groups
  .command('rename')
  .argument('<group>', 'name or id')
  .argument('<new-name>', 'the new name')
  .description('rename a group; its members and grants stay')
  .action(async (name: string, newName: string) => {
    const client = signedIn(await loadSession());
    const { id } = await findGroup(client, name);
    const { group } = await unwrap(client.api.groups[':id'].$patch({ param: { id: encodeURIComponent(id) }, json: { name: newName } }));
    console.log(`Renamed to ${group.name}.`);
  });

groups
  .command('delete')
  .argument('<group>', 'name or id')
  .description('delete a group: its members stop seeing what was shared only through it, at once')
  .action(async (name: string) => {
    const client = signedIn(await loadSession());
    const group = await findGroup(client, name);
    await unwrap(client.api.groups[':id'].$delete({ param: { id: encodeURIComponent(group.id) } }));
    console.log(`Deleted group ${group.name}.`);
  });

groups
  .command('add')
  .argument('<group>', 'name or id')
  .argument('<clients...>', 'usernames, emails or ids')
  .description('add clients to a group: they see its files at once')
  .action(async (name: string, who: string[]) => {
    const client = signedIn(await loadSession());
    const group = await findGroup(client, name);
    for (const one of who) {
      const user = await findUser(client, one);
      await unwrap(
        client.api.groups[':id'].members[':userId'].$post({
          param: { id: encodeURIComponent(group.id), userId: encodeURIComponent(user.id) },
        }),
      );
    }
    console.log(`Added ${who.join(', ')} to ${group.name}.`);
  });

groups
  .command('remove')
  .argument('<group>', 'name or id')
  .argument('<clients...>', 'usernames, emails or ids')
  .description('remove clients from a group: what they saw only through it stops at once, links included')
  .action(async (name: string, who: string[]) => {
    const client = signedIn(await loadSession());
    const group = await findGroup(client, name);
    for (const one of who) {
      const user = await findUser(client, one);
      await unwrap(
        client.api.groups[':id'].members[':userId'].$delete({
          param: { id: encodeURIComponent(group.id), userId: encodeURIComponent(user.id) },
        }),
      );
    }
    console.log(`Removed ${who.join(', ')} from ${group.name}.`);
  });

groups
  .command('set')
  .argument('<group>', 'name or id')
  .argument('[usernames...]', 'the whole membership (none: empty the group)')
  .option('--no-notify', 'do not email new members about the group’s files')
  .description('make these clients the whole membership')
  .action(async (name: string, usernames: string[], options: { notify: boolean }) => {
    const client = signedIn(await loadSession());
    const group = await findGroup(client, name);
    const detail = await unwrap(
      client.api.groups[':id'].members.$put({
        param: { id: encodeURIComponent(group.id) },
        json: { clients: usernames, notify: options.notify },
      }),
    );
    console.log(
      `${detail.group.name} has ${detail.group.members} member(s): ${detail.members.map((m) => m.username).join(', ') || 'none'}.`,
    );
  });

program
  .command('download')
  .description('clients: download a file shared with you')
  .argument('<id>', 'file id')
  .option('--out <path>', 'where to write it (default: its name, in this folder)')
  .option('--force', 'overwrite an existing file')
  .action(async (id: string, options: { out?: string; force?: boolean }) => {
    const client = signedIn(await loadSession());
    const param = { id: encodeURIComponent(id) };
    const { file } = await unwrap(client.api.files[':id'].$get({ param }));

    // Never let a name from the server choose the folder: its last path segment only.
    const target = path.resolve(options.out ?? (path.basename(file.filename.replace(/[\\/]/g, '_')) || 'download'));
    if (!options.force && (await stat(target).catch(() => null))) throw new CliError(`${target} exists; use --force to overwrite it.`);

    // Written through one handle to a private file that did not exist (no symlink can redirect
    // it), checked, then renamed over the target: a failure leaves the target as it was.
    const temp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.part`);
    const handle = await open(temp, 'wx', 0o600).catch((error: NodeJS.ErrnoException) => {
      throw new CliError(`Cannot write in ${path.dirname(target)}: ${error.message}`);
    });
    let received = 0;
    try {
      const { downloadLink } = await unwrap(client.api.files[':id']['download-link'].$post({ param }));
      const token = encodeURIComponent(downloadLinkToken(downloadLink));
      const { url } = await unwrap(client.api.download[':token'].$get({ param: { token } }));
      const res = await fetch(url);
      if (!res.ok || !res.body) throw new CliError(`Storage refused the download (HTTP ${res.status}).`);
      const bar = progressBar('download', Number(res.headers.get('content-length')) || file.size);
      try {
        await pipeline(
          Readable.fromWeb(res.body as NodeReadableStream<Uint8Array>),
          counter((n) => {
            received += n;
            bar.update(received);
          }),
          handle.createWriteStream(),
        );
      } finally {
        bar.stop();
      }
      if (received !== file.size) throw new CliError(`The download stopped after ${received} of ${file.size} bytes; nothing was saved.`);
      if (!options.force && (await stat(target).catch(() => null)))
        throw new CliError(`${target} appeared meanwhile; use --force to overwrite it.`);
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    } finally {
      await handle.close().catch(() => undefined);
    }
    console.log(`Saved ${target} (${formatSize(received)}).`);
  });

program
  .command('audit')
  .description('ops: who downloaded a file, newest first')
  .argument('<id>', 'file id')
  .action(async (id: string) => {
    const client = signedIn(await loadSession());
    const { items } = await unwrap(client.api.files[':id'].downloads.$get({ param: { id: encodeURIComponent(id) } }));
    if (items.length === 0) console.log('No downloads yet.');
    for (const d of items) console.log(`${d.at}  ${d.user.username}`);
  });

program
  .command('invite')
  .description('ops: invite someone to sign up; the link goes to their email')
  .argument('<email>', 'their email address')
  .option('--ops', 'as a member of ops (administrators only)')
  .action(async (email: string, options: { ops?: boolean }) => {
    const client = signedIn(await loadSession());
    const { invitation } = await unwrap(client.api.invitations.$post({ json: { email, role: options.ops ? 'ops' : 'client' } }));
    console.log(
      `Invited ${invitation.email} as ${invitation.role}; the link in the email works once, until ${invitation.expiresAt.slice(0, 16).replace('T', ' ')} UTC.`,
    );
  });

program
  .command('users')
  .description('ops: the accounts, by username')
  .addOption(new Option('--status <status>', 'only those in this status').choices(['active', 'pending', 'unverified', 'disabled']))
  .addOption(new Option('--role <role>', 'only those of this role').choices(['client', 'ops']))
  .option('--search <text>', 'only those whose username or email starts with it')
  .option('--json', 'print JSON instead of a table')
  .action(async (options: { status?: User['status']; role?: 'ops' | 'client'; search?: string; json?: boolean }) => {
    const client = signedIn(await loadSession());
    const rows = await allUsers(client, {
      ...(options.search ? { q: options.search } : {}),
      ...(options.role ? { role: options.role } : {}),
      ...(options.status ? { status: options.status } : {}),
    });
    if (options.json) {
      console.log(JSON.stringify(rows, null, 2));
      return;
    }
    if (rows.length === 0) {
      console.log('No accounts match.');
      return;
    }
    console.log(
      table([
        ['USERNAME', 'ROLE', 'STATUS', 'CREATED', 'EMAIL'],
        ...rows.map((u) => [u.username, u.admin ? 'ops+admin' : u.role, u.status, u.createdAt.slice(0, 16).replace('T', ' '), u.email]),
      ]),
    );
  });

program
  .command('approve')
  .description('ops: approve an account waiting for it')
  .argument('<user>', 'username, email or id')
  .action(async (who: string) => {
    const client = signedIn(await loadSession());
    const { id } = await findUser(client, who);
    const { user } = await unwrap(client.api.users[':id'].approve.$post({ param: { id: encodeURIComponent(id) } }));
    console.log(`Approved ${user.username}; they have been told by email.`);
  });

program
  .command('disable')
  .description('ops: disable an account: its sessions, tokens and links stop at once')
  .argument('<user>', 'username, email or id')
  .action(async (who: string) => {
    const client = signedIn(await loadSession());
    const { id } = await findUser(client, who);
    const { user } = await unwrap(client.api.users[':id'].disable.$post({ param: { id: encodeURIComponent(id) } }));
    console.log(`Disabled ${user.username}; every session of it has ended.`);
  });

program
  .command('enable')
  .description('ops: enable a disabled account')
  .argument('<user>', 'username, email or id')
  .action(async (who: string) => {
    const client = signedIn(await loadSession());
    const { id } = await findUser(client, who);
    const { user } = await unwrap(client.api.users[':id'].enable.$post({ param: { id: encodeURIComponent(id) } }));
    console.log(`Enabled ${user.username}; it can sign in again.`);
  });

program
  .command('passwd')
  .description('change your password; your other sessions are signed out')
  .action(async () => {
    const client = signedIn(await loadSession());
    const prompts = ['Current password: ', 'New password: '];
    const [currentPassword = '', newPassword = '', repeated] = await readPasswords(
      process.stdin.isTTY ? [...prompts, 'New password again: '] : prompts,
    );
    if (repeated !== undefined && repeated !== newPassword) throw new CliError('The new passwords differ; nothing was changed.');
    await unwrap(client.api.me.password.$post({ json: { currentPassword, newPassword } }));
    console.log('Password changed; your other sessions have been signed out.');
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CliError || error instanceof ApiError || error instanceof ApiUnreachable) {
    console.error(describe(error));
    process.exit(1);
  }
  throw error;
}
