/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-restricted-globals, @n8n/community-nodes/no-dangerous-functions, @n8n/community-nodes/no-hardcoded-secrets */
/**
 * Drive a REAL n8n (installed by scripts/n8n/install.sh into a cache outside this package) for the
 * demo and the end-to-end tests. Both n8n lines are supported:
 *   line 1 = n8n 1.123.x on the machine's Node 20, line 2 = n8n 2.x on Node 24 (npm package `node`).
 *
 * Typical use:
 *   const tgz = await packPackage(repoDir);                       // npm pack
 *   const n8n = await createUserFolder({ line: 2 });              // throwaway N8N_USER_FOLDER
 *   await installPackageTarball(n8n, tgz);                        // like n8n's community installer
 *   await importCredentials(n8n, [cred]); await importWorkflows(n8n, [wf]);
 *   const res = await executeWorkflow(n8n, wf.id);                // `n8n execute --id`
 *   const srv = await startN8n(n8n);                              // `n8n start`, waits for /rest/settings
 *   const api = await setupOwnerAndLogin(srv);                    // cookie-authenticated REST client
 *   await api.testCredential(cred);                               // POST /rest/credentials/test
 *   await srv.stop(); await n8n.cleanup();
 * Why each env var and pin: the comments at baseEnv and N8N_VERSIONS, and the README's Development section.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export type N8nLine = 1 | 2;

/** Pinned versions; keep in sync with scripts/n8n/install.sh. */
export const N8N_VERSIONS: Record<N8nLine, string> = { 1: '1.123.81', 2: '2.41.1' };

export const PACKAGE_NAME = 'n8n-nodes-microsoft-defender';
export const REPO_ROOT = resolve(__dirname, '..', '..');
export const INSTALL_SCRIPT = join(REPO_ROOT, 'scripts', 'n8n', 'install.sh');

/** Fixed, test-only encryption key for throwaway user folders. */
export const TEST_ENCRYPTION_KEY = 'n8n-nodes-microsoft-defender-e2e-only-key';

export function cacheRoot(): string {
	return process.env.N8N_CACHE_DIR || join(homedir(), '.cache', 'n8n-nodes-microsoft-defender');
}

export function n8nInstallDir(line: N8nLine): string {
	return join(cacheRoot(), `n8n-${N8N_VERSIONS[line]}`);
}

/** The wrapper written by install.sh: runs the pinned n8n with the right Node binary. */
export function n8nBin(line: N8nLine): string {
	return join(n8nInstallDir(line), 'n8n');
}

export function isN8nInstalled(line: N8nLine): boolean {
	const dir = n8nInstallDir(line);
	return existsSync(join(dir, '.install-complete')) && existsSync(join(dir, 'n8n'));
}

/** Install (or reuse) the pinned n8n of a line; prints install.sh's progress to stderr. */
export async function ensureN8n(line: N8nLine): Promise<string> {
	if (!isN8nInstalled(line)) {
		const res = await run('bash', [INSTALL_SCRIPT, String(line)], { inherit: true });
		if (res.code !== 0) throw new Error(`scripts/n8n/install.sh ${line} failed (exit ${res.code})`);
	}
	return n8nBin(line);
}

export async function freePort(): Promise<number> {
	return await new Promise((res, rej) => {
		const srv = createServer();
		srv.unref();
		srv.on('error', rej);
		srv.listen(0, '127.0.0.1', () => {
			const addr = srv.address();
			const port = typeof addr === 'object' && addr ? addr.port : 0;
			srv.close(() => res(port));
		});
	});
}

// ---------------------------------------------------------------------------------------------
// Processes
// ---------------------------------------------------------------------------------------------

export interface RunResult {
	code: number | null;
	signal: NodeJS.Signals | null;
	stdout: string;
	stderr: string;
	ms: number;
}

export async function run(
	cmd: string,
	args: string[],
	opts: { cwd?: string; env?: NodeJS.ProcessEnv; inherit?: boolean; timeoutMs?: number } = {},
): Promise<RunResult> {
	const t0 = Date.now();
	return await new Promise((res, rej) => {
		const child = spawn(cmd, args, {
			cwd: opts.cwd,
			env: opts.env ?? process.env,
			stdio: opts.inherit ? ['ignore', 'inherit', 'inherit'] : ['ignore', 'pipe', 'pipe'],
			detached: true,
		});
		let stdout = '';
		let stderr = '';
		child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
		child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
		let timer: NodeJS.Timeout | undefined;
		if (opts.timeoutMs) {
			timer = setTimeout(() => killGroup(child, 'SIGKILL'), opts.timeoutMs);
		}
		child.on('error', rej);
		child.on('close', (code, signal) => {
			if (timer) clearTimeout(timer);
			res({ code, signal, stdout, stderr, ms: Date.now() - t0 });
		});
	});
}

/** `n8n start` processes still running; killed if this process exits without stopping them. */
const liveServers = new Set<ChildProcess>();
let exitHookInstalled = false;
export function trackServer(child: ChildProcess): void {
	liveServers.add(child);
	child.on('exit', () => liveServers.delete(child));
	if (!exitHookInstalled) {
		exitHookInstalled = true;
		process.on('exit', () => {
			for (const c of liveServers) killGroup(c, 'SIGKILL');
		});
	}
}

export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
	if (child.pid === undefined) return;
	try {
		process.kill(-child.pid, signal); // the child's own process group (spawned detached)
	} catch {
		try {
			child.kill(signal);
		} catch {
			/* already gone */
		}
	}
}

// ---------------------------------------------------------------------------------------------
// User folder and environment
// ---------------------------------------------------------------------------------------------

export interface N8nFolderOptions {
	line: N8nLine;
	/** Folder to use as N8N_USER_FOLDER (created); default: a new temp folder. */
	dir?: string;
	/**
	 * SSRF protection (on by default). IP ranges allowed despite protection; default only the
	 * emulator's loopback address 127.0.0.1/32.
	 */
	ssrfAllowedIpRanges?: string[];
	ssrfProtection?: boolean;
	/** Extra env vars for every n8n process of this folder (e.g. NODE_EXTRA_CA_CERTS). */
	env?: Record<string, string>;
}

export interface N8nFolder {
	line: N8nLine;
	version: string;
	bin: string;
	/** N8N_USER_FOLDER; n8n keeps its data in `<userFolder>/.n8n`. */
	userFolder: string;
	/** `<userFolder>/.n8n` */
	n8nDir: string;
	/** Base env for every n8n command of this folder (ports are added per process). */
	env: Record<string, string>;
	cleanup(): Promise<void>;
}

/** Env vars common to every n8n process we run. */
export function baseEnv(line: N8nLine, userFolder: string, opts: N8nFolderOptions): Record<string, string> {
	const env: Record<string, string> = {};
	// Keep PATH/HOME/etc., drop npm's per-run config and the developer's proxies and N8N_* settings.
	for (const [k, v] of Object.entries(process.env)) {
		if (v === undefined) continue;
		if (/^(npm_|N8N_|DB_|EXECUTIONS_|QUEUE_|GENERIC_|WEBHOOK_URL|NODE_OPTIONS|NODE_ENV$)/i.test(k)) continue;
		if (/^(https?_proxy|all_proxy|no_proxy)$/i.test(k)) continue;
		env[k] = v;
	}
	Object.assign(env, {
		N8N_USER_FOLDER: userFolder,
		N8N_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
		N8N_DIAGNOSTICS_ENABLED: 'false',
		N8N_PERSONALIZATION_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
		N8N_TEMPLATES_ENABLED: 'false',
		N8N_HIRING_BANNER_ENABLED: 'false',
		N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'true',
		N8N_SECURE_COOKIE: 'false',
		N8N_LOG_LEVEL: 'info',
		N8N_LOG_OUTPUT: 'console',
		N8N_LISTEN_ADDRESS: '127.0.0.1',
		N8N_HOST: '127.0.0.1',
		N8N_PROTOCOL: 'http',
		N8N_UNVERIFIED_PACKAGES_ENABLED: 'true',
		N8N_COMMUNITY_PACKAGES_ENABLED: 'true',
		NO_PROXY: '127.0.0.1,localhost',
		no_proxy: '127.0.0.1,localhost',
		NODE_ENV: 'production',
	});
	if (opts.ssrfProtection !== false) {
		env.N8N_SSRF_PROTECTION_ENABLED = 'true';
		env.N8N_SSRF_ALLOWED_IP_RANGES = (opts.ssrfAllowedIpRanges ?? ['127.0.0.1/32']).join(',');
	}
	if (line === 2) {
		// The MCP registry module calls out to the internet at start.
		env.N8N_DISABLED_MODULES = 'mcp-registry';
	}
	Object.assign(env, opts.env ?? {});
	return env;
}

export async function createUserFolder(opts: N8nFolderOptions): Promise<N8nFolder> {
	const bin = await ensureN8n(opts.line);
	const userFolder = opts.dir ? resolve(opts.dir) : await fs.mkdtemp(join(tmpdir(), `n8n-e2e-${opts.line}-`));
	await fs.mkdir(join(userFolder, '.n8n'), { recursive: true });
	return {
		line: opts.line,
		version: N8N_VERSIONS[opts.line],
		bin,
		userFolder,
		n8nDir: join(userFolder, '.n8n'),
		env: baseEnv(opts.line, userFolder, opts),
		cleanup: async () => {
			await fs.rm(userFolder, { recursive: true, force: true });
		},
	};
}

/** Run one n8n CLI command in this folder, with its own task-broker port. */
export async function n8nCli(folder: N8nFolder, args: string[], timeoutMs = 180_000): Promise<RunResult> {
	const env = { ...folder.env, N8N_RUNNERS_BROKER_PORT: String(await freePort()), N8N_PORT: String(await freePort()) };
	return await run(folder.bin, args, { env, cwd: folder.userFolder, timeoutMs });
}

/** What the n8n CLI prints when a command did its job (checked in 1.123.81 and 2.41.1). */
const CLI_SUCCESS = /Successfully imported \d+|Publishing workflow with ID|Activating workflow with ID/;

export function assertOk(what: string, res: RunResult): RunResult {
	// 2.41.1 on Node 24 sometimes segfaults while exiting after the work is done (see executeWorkflow).
	if (res.signal === 'SIGSEGV' && CLI_SUCCESS.test(res.stdout)) return res;
	if (res.code !== 0) {
		throw new Error(`${what} failed (exit ${res.code}, signal ${res.signal}):\n${res.stdout}\n${res.stderr}`);
	}
	return res;
}

// ---------------------------------------------------------------------------------------------
// The package
// ---------------------------------------------------------------------------------------------

/** `npm pack` in repoDir (must already be built: dist/). Returns the absolute tarball path. */
export async function packPackage(repoDir = REPO_ROOT, destDir?: string): Promise<string> {
	const dest = destDir ?? (await fs.mkdtemp(join(tmpdir(), 'n8n-pack-')));
	const res = assertOk(
		'npm pack',
		await run('npm', ['pack', '--json', '--pack-destination', dest], { cwd: repoDir, timeoutMs: 120_000 }),
	);
	const info = JSON.parse(res.stdout.slice(res.stdout.indexOf('['))) as Array<{ filename: string }>;
	return join(dest, info[0].filename);
}

/**
 * Install a packed tarball into `<userFolder>/.n8n/nodes/node_modules/<name>` the way n8n's
 * community-package installer does: extract it, drop dev/peer/optional dependencies, and only
 * install remaining runtime dependencies (with --ignore-scripts). n8n-workflow is never installed:
 * the package gets the host's copy at runtime.
 */
export async function installPackageTarball(folder: N8nFolder, tarball: string): Promise<string> {
	const nodesDir = join(folder.n8nDir, 'nodes');
	const tmp = await fs.mkdtemp(join(tmpdir(), 'n8n-pkg-'));
	assertOk('tar', await run('tar', ['-xzf', tarball, '-C', tmp, '--strip-components=1']));
	const pkgJsonPath = join(tmp, 'package.json');
	const pkg = JSON.parse(await fs.readFile(pkgJsonPath, 'utf8')) as Record<string, unknown> & {
		name: string;
		version: string;
		dependencies?: Record<string, string>;
	};
	delete pkg.devDependencies;
	delete pkg.peerDependencies;
	delete pkg.optionalDependencies;
	await fs.writeFile(pkgJsonPath, JSON.stringify(pkg, null, '\t'));
	const target = join(nodesDir, 'node_modules', pkg.name);
	await fs.rm(target, { recursive: true, force: true });
	await fs.mkdir(join(nodesDir, 'node_modules'), { recursive: true });
	await fs.rename(tmp, target).catch(async () => {
		await fs.cp(tmp, target, { recursive: true });
		await fs.rm(tmp, { recursive: true, force: true });
	});
	if (pkg.dependencies && Object.keys(pkg.dependencies).length > 0) {
		assertOk(
			'npm install (package runtime deps)',
			await run('npm', ['install', '--ignore-scripts', '--omit=dev', '--no-audit', '--no-fund'], {
				cwd: target,
				timeoutMs: 300_000,
			}),
		);
	}
	// The nodes folder's own package.json, as n8n keeps it.
	const nodesPkgPath = join(nodesDir, 'package.json');
	let nodesPkg: { name: string; private: boolean; dependencies: Record<string, string> } = {
		name: 'installed-nodes',
		private: true,
		dependencies: {},
	};
	if (existsSync(nodesPkgPath)) nodesPkg = JSON.parse(await fs.readFile(nodesPkgPath, 'utf8'));
	nodesPkg.dependencies = { ...(nodesPkg.dependencies ?? {}), [pkg.name]: pkg.version };
	await fs.writeFile(nodesPkgPath, JSON.stringify(nodesPkg, null, '\t'));
	return target;
}

// ---------------------------------------------------------------------------------------------
// Import / execute / publish (CLI)
// ---------------------------------------------------------------------------------------------

export interface CredentialImport {
	id: string;
	name: string;
	type: string;
	/** Plain (unencrypted) data; n8n encrypts it on import. */
	data: Record<string, unknown>;
}

async function importJson(folder: N8nFolder, kind: 'credentials' | 'workflow', items: unknown[]): Promise<RunResult> {
	const file = join(folder.userFolder, `import-${kind}-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
	await fs.writeFile(file, JSON.stringify(items));
	try {
		return assertOk(`n8n import:${kind}`, await n8nCli(folder, [`import:${kind}`, `--input=${file}`]));
	} finally {
		await fs.rm(file, { force: true });
	}
}

export async function importCredentials(folder: N8nFolder, creds: CredentialImport[]): Promise<RunResult> {
	return await importJson(folder, 'credentials', creds);
}

/** Workflows need a fixed "id" (kept by import). `active` is forced to false; use publishWorkflow. */
export async function importWorkflows(folder: N8nFolder, workflows: Array<Record<string, unknown>>): Promise<RunResult> {
	const items = workflows.map((wf) => ({ settings: {}, connections: {}, ...wf, active: false }));
	return await importJson(folder, 'workflow', items);
}

export interface ExecuteResult extends RunResult {
	/** The IRun JSON n8n printed (null when none could be parsed). */
	run: ExecutionRun | null;
	/** True when n8n reported success (exit 0 and no error in the run data). */
	ok: boolean;
}

export interface ExecutionRun {
	data: {
		resultData: {
			runData: Record<string, Array<{ data?: { main?: Array<Array<{ json: Record<string, unknown> }> | null> }; error?: unknown }>>;
			error?: { message?: string; description?: string; [k: string]: unknown };
			lastNodeExecuted?: string;
		};
	};
	status?: string;
	finished?: boolean;
	[k: string]: unknown;
}

/**
 * `n8n execute --id=<id> --rawOutput`. 1.x prints the run JSON on stdout; 2.x prints it through
 * its logger (level info, console output). Either way we take the last top-level JSON object
 * from the combined output that has `data.resultData`.
 */
export async function executeWorkflow(folder: N8nFolder, id: string, timeoutMs = 180_000): Promise<ExecuteResult> {
	const res = await n8nCli(folder, ['execute', `--id=${id}`, '--rawOutput'], timeoutMs);
	const runJson = extractRunJson(res.stdout) ?? extractRunJson(res.stderr);
	const err = runJson?.data?.resultData?.error;
	// n8n 2.41.1 on Node 24 sometimes dies with SIGSEGV while exiting, AFTER printing the complete
	// run (seen ~1 in 8 runs under load; native-module teardown). The printed run is authoritative.
	const exitedCleanly = res.code === 0 || (res.signal === 'SIGSEGV' && !!runJson);
	return { ...res, run: runJson, ok: exitedCleanly && !!runJson && !err };
}

/** Find the JSON object with data.resultData in n8n's output (ignores log lines around it). */
export function extractRunJson(text: string): ExecutionRun | null {
	let found: ExecutionRun | null = null;
	for (let i = text.indexOf('{'); i !== -1; i = text.indexOf('{', i + 1)) {
		// Only try at a line start (possibly after a log prefix ending in space) to keep it cheap.
		if (i > 0 && text[i - 1] !== '\n' && text[i - 1] !== ' ') continue;
		const end = matchBrace(text, i);
		if (end === -1) continue;
		try {
			const obj = JSON.parse(text.slice(i, end + 1)) as ExecutionRun;
			if (obj && typeof obj === 'object' && obj.data?.resultData) {
				found = obj;
				i = end;
			}
		} catch {
			/* not JSON */
		}
	}
	return found;
}

function matchBrace(text: string, start: number): number {
	let depth = 0;
	let inStr = false;
	for (let i = start; i < text.length; i++) {
		const c = text[i];
		if (inStr) {
			if (c === '\\') i++;
			else if (c === '"') inStr = false;
			continue;
		}
		if (c === '"') inStr = true;
		else if (c === '{' || c === '[') depth++;
		else if (c === '}' || c === ']') {
			depth--;
			if (depth === 0) return i;
		}
	}
	return -1;
}

/** Output items (json) of one node in a run: first run, given output index. */
export function nodeOutput(runJson: ExecutionRun, nodeName: string, output = 0, runIndex = 0): Array<Record<string, unknown>> {
	const runs = runJson.data.resultData.runData[nodeName];
	if (!runs || !runs[runIndex]) throw new Error(`node "${nodeName}" did not run (ran: ${Object.keys(runJson.data.resultData.runData).join(', ')})`);
	return (runs[runIndex].data?.main?.[output] ?? []).map((it) => it.json);
}

/** Make a workflow active at next start: 2.x `publish:workflow`, 1.x `update:workflow --active=true`. */
export async function publishWorkflow(folder: N8nFolder, id: string): Promise<RunResult> {
	const args = folder.line === 2 ? ['publish:workflow', `--id=${id}`] : ['update:workflow', `--id=${id}`, '--active=true'];
	return assertOk(`n8n ${args[0]}`, await n8nCli(folder, args));
}

// ---------------------------------------------------------------------------------------------
// n8n start + REST
// ---------------------------------------------------------------------------------------------

export interface RunningN8n {
	folder: N8nFolder;
	port: number;
	baseUrl: string;
	child: ChildProcess;
	/** Everything n8n printed so far. */
	logs(): string;
	/**
	 * Wait until a production webhook path is registered. Published workflows are activated AFTER
	 * /rest/settings is ready (2.x logs nothing when done), so a webhook answers 404 at first.
	 * Probes with a CORS preflight (`OPTIONS` + Origin), which never runs the workflow:
	 * 204 = registered, 404 = not yet.
	 */
	waitForWebhook(path: string, method?: string, timeoutMs?: number): Promise<void>;
	stop(): Promise<void>;
}

export async function startN8n(
	folder: N8nFolder,
	opts: {
		port?: number;
		timeoutMs?: number;
		env?: Record<string, string>;
		echo?: boolean;
		/** n8n command line; default `start`. A queue-mode worker is `['worker']` (see queue.ts). */
		args?: string[];
		/** Ready when this path answers 2xx (e.g. a worker's `/healthz/readiness`); default: /rest/settings JSON. */
		readyPath?: string;
	} = {},
): Promise<RunningN8n> {
	const port = opts.port ?? (await freePort());
	const env = {
		...folder.env,
		N8N_PORT: String(port),
		N8N_RUNNERS_BROKER_PORT: String(await freePort()),
		...(opts.env ?? {}),
	};
	const child = spawn(folder.bin, opts.args ?? ['start'], { env, cwd: folder.userFolder, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
	trackServer(child);
	let out = '';
	const onData = (d: Buffer) => {
		out += d.toString();
		if (opts.echo) process.stderr.write(d);
	};
	child.stdout?.on('data', onData);
	child.stderr?.on('data', onData);
	let exited = false;
	const exitP = new Promise<void>((res) =>
		child.on('exit', () => {
			exited = true;
			res();
		}),
	);
	const baseUrl = `http://127.0.0.1:${port}`;
	const running: RunningN8n = {
		folder,
		port,
		baseUrl,
		child,
		logs: () => out,
		waitForWebhook: async (path: string, method = 'POST', timeoutMs = 120_000) => {
			const deadline = Date.now() + timeoutMs;
			for (;;) {
				const problem = /There was a problem activating the workflow[^\n]*/.exec(out);
				if (problem) throw new Error(`n8n could not activate a workflow: ${problem[0]}`);
				if (exited) throw new Error(`n8n exited while activating workflows:\n${out.slice(-3000)}`);
				const r = await fetch(`${baseUrl}/webhook/${path.replace(/^\//, '')}`, {
					method: 'OPTIONS',
					headers: { origin: baseUrl, 'access-control-request-method': method },
				}).catch(() => undefined);
				if (r && r.status >= 200 && r.status < 300) return;
				if (Date.now() > deadline) {
					throw new Error(`webhook ${path} not registered within ${timeoutMs} ms (last ${r?.status}):\n${out.slice(-3000)}`);
				}
				await new Promise((res) => setTimeout(res, 250));
			}
		},
		stop: async () => {
			if (exited) return;
			killGroup(child, 'SIGTERM');
			const t = setTimeout(() => killGroup(child, 'SIGKILL'), 20_000);
			await exitP;
			clearTimeout(t);
		},
	};
	const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
	for (;;) {
		if (exited) throw new Error(`n8n ${(opts.args ?? ['start']).join(' ')} exited early:\n${out}`);
		try {
			if (opts.readyPath) {
				const r = await fetch(`${baseUrl}${opts.readyPath}`);
				if (r.ok) break;
				throw new Error('not ready');
			}
			// 2.x answers every path with 200 "n8n is starting up. Please wait" (text/html) while it
			// starts: ready means /rest/settings returns its JSON.
			const r = await fetch(`${baseUrl}/rest/settings`);
			if (r.ok) {
				const body = (await r.json().catch(() => undefined)) as { data?: unknown } | undefined;
				if (body && typeof body === 'object' && body.data) break;
			}
		} catch {
			/* not listening yet */
		}
		if (Date.now() > deadline) {
			await running.stop();
			throw new Error(`n8n did not answer GET ${opts.readyPath ?? '/rest/settings'} within ${opts.timeoutMs ?? 120_000} ms:\n${out}`);
		}
		await new Promise((r) => setTimeout(r, 500));
	}
	return running;
}

export const OWNER = {
	email: 'owner@example.com',
	password: 'E2e-test-Passw0rd!',
	firstName: 'E2E',
	lastName: 'Owner',
};

export interface RestResponse<T = unknown> {
	status: number;
	body: T;
	text: string;
}

export class N8nRest {
	private cookie = '';

	constructor(public readonly baseUrl: string) {}

	async request<T = unknown>(method: string, path: string, body?: unknown): Promise<RestResponse<T>> {
		const headers: Record<string, string> = { accept: 'application/json', 'browser-id': 'e2e-harness' };
		if (body !== undefined) headers['content-type'] = 'application/json';
		if (this.cookie) headers.cookie = this.cookie;
		const r = await fetch(`${this.baseUrl}${path}`, {
			method,
			headers,
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const setCookies = r.headers.getSetCookie?.() ?? [];
		for (const c of setCookies) {
			const kv = c.split(';')[0];
			if (kv.startsWith('n8n-auth=')) this.cookie = kv;
		}
		const text = await r.text();
		let parsed: unknown = text;
		try {
			parsed = JSON.parse(text);
		} catch {
			/* not JSON */
		}
		return { status: r.status, body: parsed as T, text };
	}

	async setupOwner(owner = OWNER): Promise<RestResponse> {
		return await this.request('POST', '/rest/owner/setup', owner);
	}

	async login(owner = OWNER): Promise<RestResponse> {
		// 1.x takes `email`, 2.x takes `emailOrLdapLoginId`; send both.
		return await this.request('POST', '/rest/login', {
			email: owner.email,
			emailOrLdapLoginId: owner.email,
			password: owner.password,
		});
	}

	/**
	 * REST credential test, as the editor's "Test" button does it: read the saved credential with
	 * `GET /rest/credentials/:id?includeData=true` (secrets come back redacted), overlay `data`
	 * (e.g. a wrong secret), and `POST /rest/credentials/test` with id + full data (n8n swaps the
	 * redacted placeholders for the stored secrets). 2.x requires `credentials.id`. Returns n8n's
	 * `{ status: 'OK' | 'Error', message }` from the response's `data`.
	 */
	async testCredential(cred: { id: string; data?: Record<string, unknown> }): Promise<{
		http: number;
		status?: string;
		message?: string;
		raw: unknown;
	}> {
		const saved = await this.request<{ data?: { id: string; name: string; type: string; data?: Record<string, unknown> } }>(
			'GET',
			`/rest/credentials/${encodeURIComponent(cred.id)}?includeData=true`,
		);
		const c = saved.body && typeof saved.body === 'object' ? saved.body.data : undefined;
		if (saved.status !== 200 || !c) throw new Error(`GET /rest/credentials/${cred.id}: ${saved.status} ${saved.text.slice(0, 300)}`);
		const res = await this.request<{ data?: { status?: string; message?: string } }>('POST', '/rest/credentials/test', {
			credentials: { id: c.id, name: c.name, type: c.type, data: { ...(c.data ?? {}), ...(cred.data ?? {}) } },
		});
		const data = (res.body && typeof res.body === 'object' ? res.body.data : undefined) ?? undefined;
		return { http: res.status, status: data?.status, message: data?.message, raw: res.body };
	}

	/** Node types n8n loaded (names only). */
	async nodeTypeNames(): Promise<string[]> {
		const res = await this.request<Array<{ name: string }>>('GET', '/types/nodes.json');
		if (res.status !== 200 || !Array.isArray(res.body)) throw new Error(`GET /types/nodes.json: ${res.status} ${res.text.slice(0, 300)}`);
		return res.body.map((n) => n.name);
	}

	/** Executions of a workflow (newest first), as summaries. */
	async listExecutions(workflowId?: string): Promise<Array<{ id: string; status?: string; mode?: string; finished?: boolean; startedAt?: string; stoppedAt?: string }>> {
		const q = workflowId ? `?filter=${encodeURIComponent(JSON.stringify({ workflowId }))}&limit=100` : '?limit=100';
		const res = await this.request<{ data?: { results?: unknown[] } | unknown[] }>('GET', `/rest/executions${q}`);
		if (res.status !== 200) throw new Error(`GET /rest/executions: ${res.status} ${res.text.slice(0, 300)}`);
		const d = res.body.data as { results?: unknown[] } | unknown[] | undefined;
		const list = Array.isArray(d) ? d : (d?.results ?? []);
		return list as Array<{ id: string; status?: string; mode?: string }>;
	}

	/** Full data of one execution (REST returns it "flatted"; parsed with n8n's own flatted). */
	async getExecution(id: string, line: N8nLine): Promise<{ status?: string; mode?: string; data: ExecutionRun['data'] | null; raw: unknown }> {
		const res = await this.request<{ data?: { data?: string; status?: string; mode?: string } }>('GET', `/rest/executions/${id}`);
		if (res.status !== 200) throw new Error(`GET /rest/executions/${id}: ${res.status} ${res.text.slice(0, 300)}`);
		const e = res.body.data ?? (res.body as { data?: string; status?: string; mode?: string });
		let data: ExecutionRun['data'] | null = null;
		if (typeof e.data === 'string') data = flattedParse(line, e.data) as ExecutionRun['data'];
		return { status: e.status, mode: e.mode, data, raw: res.body };
	}
}

/** Parse n8n's "flatted" execution data with the flatted package n8n itself ships. */
export function flattedParse(line: N8nLine, text: string): unknown {
	const req = createRequire(join(n8nInstallDir(line), 'node_modules', 'n8n', 'package.json'));
	const flatted = req('flatted') as { parse: (s: string) => unknown };
	return flatted.parse(text);
}

/** Owner setup (first call) + login; returns a cookie-authenticated client. */
export async function setupOwnerAndLogin(srv: RunningN8n, owner = OWNER): Promise<N8nRest> {
	const api = new N8nRest(srv.baseUrl);
	const setup = await api.setupOwner(owner);
	// 400 = owner already set up (a reused folder).
	if (setup.status !== 200 && setup.status !== 400) {
		throw new Error(`POST /rest/owner/setup: ${setup.status} ${setup.text.slice(0, 300)}`);
	}
	const login = await api.login(owner);
	const user = (login.body as { data?: { email?: string } } | undefined)?.data;
	if (login.status !== 200 || user?.email !== owner.email) {
		throw new Error(`POST /rest/login: ${login.status} ${login.text.slice(0, 300)}`);
	}
	return api;
}

/** Wait until `check` returns a truthy value (polling every `everyMs`). */
export async function waitFor<T>(check: () => Promise<T | undefined | null | false>, timeoutMs: number, everyMs = 1000): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const v = await check();
		if (v) return v;
		if (Date.now() > deadline) throw new Error(`waitFor: timed out after ${timeoutMs} ms`);
		await new Promise((r) => setTimeout(r, everyMs));
	}
}
