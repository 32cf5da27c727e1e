/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-restricted-globals, @n8n/community-nodes/no-dangerous-functions, @n8n/community-nodes/require-node-api-error */
/**
 * n8n in queue mode (scaling mode) from real parts, for the e2e tests, the benchmark and
 * `npm run demo -- --queue`:
 *   PostgreSQL (shared database) and Redis (Bull job queue) from Debian's packages
 *   (scripts/ci/services.sh installs them), each started here on 127.0.0.1 with an ephemeral port
 *   and its own data folder (no system service); n8n main (`n8n start`: triggers, webhooks, UI)
 *   and N workers (`n8n worker`: run the executions), all with EXECUTIONS_MODE=queue, the same
 *   encryption key and database, and each with the package installed in ITS OWN user folder, the
 *   way a user installs it on every machine of a cluster.
 *
 *   const cluster = await createQueueCluster({ line: 2, tarball, workers: 2 });
 *   await cluster.importCredentials([...]); await cluster.importWorkflows([...]);
 *   await cluster.publishWorkflow(id);
 *   await cluster.start();              // main, then the workers (ready = /healthz/readiness)
 *   await cluster.killWorker(0); await cluster.startWorker(0);
 *   await cluster.stop();               // workers, main, Redis, PostgreSQL; folders removed
 *
 * Env vars (checked in n8n 1.123.81 and 2.41.1, @n8n/config): DB_TYPE=postgresdb,
 * DB_POSTGRESDB_HOST/PORT/DATABASE/USER, EXECUTIONS_MODE=queue, QUEUE_BULL_REDIS_HOST/PORT,
 * QUEUE_BULL_PREFIX, QUEUE_HEALTH_CHECK_ACTIVE/PORT and N8N_WORKER_SERVER_ADDRESS (worker
 * readiness), N8N_RUNNERS_BROKER_PORT (each process runs its own task broker),
 * OFFLOAD_MANUAL_EXECUTIONS_TO_WORKERS=true (1.x; 2.x always routes manual runs to workers).
 *
 * Test-only hooks (never in the shipped package): `timeScale` loads queue-preload.cjs into every
 * n8n process, which sets the package's pacing clock to the emulator's compressed clock, and
 * tags each process's HTTP requests with `x-emulator-client: <process name>` so the emulator log
 * says which worker sent what.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fs, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
	assertOk,
	createUserFolder,
	freePort,
	importCredentials,
	importWorkflows,
	installPackageTarball,
	killGroup,
	n8nCli,
	publishWorkflow,
	run,
	startN8n,
	trackServer,
	type CredentialImport,
	type N8nFolder,
	type N8nLine,
	type RunningN8n,
} from './harness';

export interface QueueClusterOptions {
	line: N8nLine;
	/** Packed package (harness packPackage); installed into every process's user folder. */
	tarball: string;
	/** Worker processes (default 2). */
	workers?: number;
	/** Executions a worker runs at once (`n8n worker --concurrency`, default 10). */
	concurrency?: number;
	/** Main's port (default: a free one). */
	mainPort?: number;
	/**
	 * Test hooks (default on): load queue-preload.cjs into every n8n process, which tags its HTTP
	 * requests with `x-emulator-client` (main, worker1, …) and applies `timeScale`.
	 */
	testHooks?: boolean;
	/** Test only: compress the package's pacing clock like the emulator's (`timeScale`). */
	timeScale?: number;
	/** Extra env vars for every n8n process. */
	env?: Record<string, string>;
	/** Progress lines (default: none). */
	log?: (line: string) => void;
	/** Echo n8n's own output to stderr. */
	echo?: boolean;
}

export interface Service {
	name: string;
	port: number;
	dataDir: string;
	child: ChildProcess;
	logs(): string;
	stop(): Promise<void>;
}

export interface QueueCluster {
	line: N8nLine;
	postgres: Service;
	redis: Service;
	/** Main's user folder (the CLI commands below run there, against the shared database). */
	mainFolder: N8nFolder;
	workerFolders: N8nFolder[];
	main?: RunningN8n;
	workers: Array<RunningN8n | undefined>;
	importCredentials(creds: CredentialImport[]): Promise<void>;
	/**
	 * Import workflows; those in `publish` are active when main starts (1.x: one
	 * `update:workflow --all --active=true` when all are published; 2.x: `publish:workflow` each).
	 */
	importWorkflows(workflows: Array<Record<string, unknown>>, publish?: string[]): Promise<void>;
	publishWorkflow(id: string): Promise<void>;
	/** Main, then every worker; resolves when all are ready. */
	start(): Promise<void>;
	startWorker(index: number): Promise<RunningN8n>;
	/** SIGKILL by default: a crashed machine, no graceful shutdown. */
	killWorker(index: number, signal?: NodeJS.Signals): Promise<void>;
	/** Name used for the worker in `x-emulator-client` (`worker1`, `worker2`, …); main is `main`. */
	workerName(index: number): string;
	stop(): Promise<void>;
}

export const PRELOAD = join(__dirname, 'queue-preload.cjs');
const POSTGRES_USER = 'n8n';
/** initdb's own database; the cluster is throwaway, so n8n's tables go there. */
const POSTGRES_DB = 'postgres';

/** Debian installs PostgreSQL's server binaries in /usr/lib/postgresql/<major>/bin (not on PATH). */
export function postgresBinDir(): string {
	const root = '/usr/lib/postgresql';
	const majors = existsSync(root)
		? readdirSync(root)
				.filter((d) => existsSync(join(root, d, 'bin', 'initdb')))
				.sort((a, b) => Number(b) - Number(a))
		: [];
	if (!majors.length) {
		throw new Error('PostgreSQL is not installed: run `bash scripts/ci/services.sh` (apt-get install postgresql redis-server)');
	}
	return join(root, majors[0], 'bin');
}

export function redisServerBin(): string {
	for (const p of ['/usr/bin/redis-server', '/usr/local/bin/redis-server']) if (existsSync(p)) return p;
	throw new Error('redis-server is not installed: run `bash scripts/ci/services.sh` (apt-get install postgresql redis-server)');
}

/** PostgreSQL refuses to run as root: as root, run its programs as the `postgres` system user. */
function asPostgres(cmd: string, args: string[]): [string, string[]] {
	return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
}

function startService(name: string, cmd: string, args: string[], readyLine: RegExp, port: number, dataDir: string, cleanupDir: string): Promise<Service> {
	const child = spawn(cmd, args, { cwd: dataDir, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
	trackServer(child);
	let out = '';
	let exited = false;
	const exitP = new Promise<void>((res) =>
		child.on('exit', () => {
			exited = true;
			res();
		}),
	);
	const service: Service = {
		name,
		port,
		dataDir,
		child,
		logs: () => out,
		stop: async () => {
			if (!exited) {
				killGroup(child, 'SIGTERM');
				const t = setTimeout(() => killGroup(child, 'SIGKILL'), 10_000);
				await exitP;
				clearTimeout(t);
			}
			await fs.rm(cleanupDir, { recursive: true, force: true });
		},
	};
	return new Promise((resolve, reject) => {
		const timer = setTimeout(() => {
			void service.stop();
			reject(new Error(`${name} did not start within 60 s:\n${out.slice(-2000)}`));
		}, 60_000);
		const onData = (d: Buffer) => {
			out += d.toString();
			if (readyLine.test(out)) {
				clearTimeout(timer);
				child.stdout?.off('data', onData);
				child.stderr?.off('data', onData);
				child.stdout?.on('data', (x: Buffer) => (out += x.toString()));
				child.stderr?.on('data', (x: Buffer) => (out += x.toString()));
				resolve(service);
			}
		};
		child.stdout?.on('data', onData);
		child.stderr?.on('data', onData);
		child.on('exit', (code, signal) => {
			clearTimeout(timer);
			reject(new Error(`${name} exited during start (code ${code}, signal ${signal}):\n${out.slice(-2000)}`));
		});
	});
}

/** PostgreSQL in a throwaway data folder on 127.0.0.1:<free port>, trust auth, durability off (test data). */
export async function startPostgres(): Promise<Service> {
	const bin = postgresBinDir();
	const root = await fs.mkdtemp(join(tmpdir(), 'n8n-queue-pg-'));
	const dataDir = join(root, 'data');
	await fs.mkdir(dataDir);
	if (process.getuid?.() === 0) {
		const chown = await run('chown', ['-R', 'postgres:postgres', root]);
		if (chown.code !== 0) throw new Error(`chown postgres ${root}: ${chown.stderr}`);
	}
	const [initCmd, initArgs] = asPostgres(join(bin, 'initdb'), ['-D', dataDir, '-U', POSTGRES_USER, '-A', 'trust', '-E', 'UTF8', '--no-sync']);
	const init = await run(initCmd, initArgs, { cwd: root, timeoutMs: 120_000 });
	if (init.code !== 0) throw new Error(`initdb failed (exit ${init.code}):\n${init.stdout}\n${init.stderr}`);
	const port = await freePort();
	const [cmd, args] = asPostgres(join(bin, 'postgres'), [
		'-D', dataDir,
		'-h', '127.0.0.1',
		'-p', String(port),
		'-k', root, // Unix socket in the data folder's parent, not /var/run/postgresql
		'-c', 'fsync=off',
		'-c', 'synchronous_commit=off',
		'-c', 'full_page_writes=off',
		'-c', 'max_connections=200',
	]);
	return await startService('PostgreSQL', cmd, args, /database system is ready to accept connections/, port, root, root);
}

/** Redis on 127.0.0.1:<free port>, its own folder, no persistence. */
export async function startRedis(): Promise<Service> {
	const dir = await fs.mkdtemp(join(tmpdir(), 'n8n-queue-redis-'));
	const port = await freePort();
	return await startService(
		'Redis',
		redisServerBin(),
		['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'],
		/Ready to accept connections/,
		port,
		dir,
		dir,
	);
}

export async function createQueueCluster(opts: QueueClusterOptions): Promise<QueueCluster> {
	const log = opts.log ?? (() => undefined);
	const workerCount = opts.workers ?? 2;
	log(`starting PostgreSQL and Redis on 127.0.0.1 (own data folders)`);
	const [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
	log(`PostgreSQL on port ${postgres.port}, Redis on port ${redis.port}`);
	const prefix = `bull${Date.now().toString(36)}`;
	const shared: Record<string, string> = {
		DB_TYPE: 'postgresdb',
		DB_POSTGRESDB_HOST: '127.0.0.1',
		DB_POSTGRESDB_PORT: String(postgres.port),
		DB_POSTGRESDB_DATABASE: POSTGRES_DB,
		DB_POSTGRESDB_USER: POSTGRES_USER,
		DB_POSTGRESDB_PASSWORD: '',
		EXECUTIONS_MODE: 'queue',
		QUEUE_BULL_REDIS_HOST: '127.0.0.1',
		QUEUE_BULL_REDIS_PORT: String(redis.port),
		QUEUE_BULL_PREFIX: prefix,
		OFFLOAD_MANUAL_EXECUTIONS_TO_WORKERS: 'true',
		// A killed worker's job is noticed (lock expiry) within seconds instead of 30 s.
		QUEUE_WORKER_LOCK_DURATION: '10000',
		QUEUE_WORKER_LOCK_RENEW_TIME: '3000',
		QUEUE_WORKER_STALLED_INTERVAL: '5000',
		N8N_WORKER_SERVER_ADDRESS: '127.0.0.1',
		...(opts.env ?? {}),
	};
	if (opts.testHooks !== false) {
		shared.NODE_OPTIONS = `--require ${PRELOAD}`;
		if (opts.timeScale && opts.timeScale !== 1) shared.E2E_DEFENDER_TIME_SCALE = String(opts.timeScale);
	}
	const names = ['main', ...Array.from({ length: workerCount }, (_, i) => `worker${i + 1}`)];
	const folders: N8nFolder[] = [];
	try {
		log(`installing the package into ${names.length} n8n user folders (main + ${workerCount} workers)`);
		for (const name of names) {
			const env = { ...shared };
			if (env.NODE_OPTIONS) env.E2E_CLIENT_NAME = name;
			const folder = await createUserFolder({ line: opts.line, env });
			folders.push(folder);
			await installPackageTarball(folder, opts.tarball);
		}
	} catch (error) {
		await Promise.all([redis.stop(), postgres.stop(), ...folders.map((f) => f.cleanup())]);
		throw error;
	}
	const [mainFolder, ...workerFolders] = folders;
	const cluster: QueueCluster = {
		line: opts.line,
		postgres,
		redis,
		mainFolder,
		workerFolders,
		workers: workerFolders.map(() => undefined),
		workerName: (i) => names[i + 1],
		importCredentials: async (creds) => {
			const t = Date.now();
			await importCredentials(mainFolder, creds);
			log(`imported ${creds.length} credential(s) (${Math.round((Date.now() - t) / 1000)} s; the first CLI run also creates n8n's tables)`);
		},
		importWorkflows: async (wfs, publish = []) => {
			const t = Date.now();
			await importWorkflows(mainFolder, wfs);
			if (opts.line === 1 && publish.length === wfs.length && publish.length > 1) {
				assertOk('n8n update:workflow --all', await n8nCli(mainFolder, ['update:workflow', '--all', '--active=true']));
			} else {
				// 2.x: `import:workflow --activeState=fromJson` refuses to activate from the CLI
				// ("User attempted to activate a workflow without permissions"): publish one by one.
				for (const id of publish) await publishWorkflow(mainFolder, id);
			}
			log(`imported ${wfs.length} workflows, published ${publish.length} (${Math.round((Date.now() - t) / 1000)} s)`);
		},
		publishWorkflow: async (id) => {
			await publishWorkflow(mainFolder, id);
		},
		start: async () => {
			log(`starting n8n main (n8n ${mainFolder.version}, EXECUTIONS_MODE=queue)`);
			cluster.main = await startN8n(mainFolder, { port: opts.mainPort, echo: opts.echo, timeoutMs: 180_000 });
			log(`main ready at ${cluster.main.baseUrl}; starting ${workerCount} workers`);
			await Promise.all(workerFolders.map((_, i) => cluster.startWorker(i)));
			log(`workers ready: ${cluster.workers.map((w) => w?.baseUrl).join(', ')}`);
		},
		startWorker: async (i) => {
			const port = await freePort();
			const w = await startN8n(workerFolders[i], {
				args: ['worker', `--concurrency=${opts.concurrency ?? 10}`],
				port,
				readyPath: '/healthz/readiness',
				env: { QUEUE_HEALTH_CHECK_ACTIVE: 'true', QUEUE_HEALTH_CHECK_PORT: String(port) },
				echo: opts.echo,
				timeoutMs: 180_000,
			});
			cluster.workers[i] = w;
			return w;
		},
		killWorker: async (i, signal = 'SIGKILL') => {
			const w = cluster.workers[i];
			if (!w) return;
			const gone = new Promise<void>((res) => (w.child.exitCode !== null || w.child.signalCode !== null ? res() : w.child.once('exit', () => res())));
			killGroup(w.child, signal);
			await gone;
		},
		stop: async () => {
			log('stopping the workers, main, Redis and PostgreSQL');
			await Promise.all(cluster.workers.map((w) => w?.stop()));
			await cluster.main?.stop();
			await Promise.all([redis.stop(), postgres.stop()]);
			await Promise.all(folders.map((f) => f.cleanup()));
		},
	};
	return cluster;
}
