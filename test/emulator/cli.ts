/* eslint-disable @n8n/community-nodes/no-restricted-globals, no-console */
/**
 * `npm run emulator -- [flags]`: runs the Defender emulator until Ctrl-C.
 *   --port N            HTTP port (default 0 = random free port)
 *   --https-port N      HTTPS port (default 0 = random free port)
 *   --seed N            data seed (default 1)
 *   --machines N --alerts N --incidents N --hunting-rows N   generated data sizes
 *   --time-scale N      quota windows run N times faster (default 1)
 *   --token-lifetime S  access-token lifetime in seconds (default 3599)
 *   --no-quotas         disable call quotas
 *   --pending-ms N --in-progress-ms N   machine-action timing
 * Prints the base URLs and the fixture's TEST-ONLY credentials, then one line
 * `EMULATOR_READY {json}` that scripts can parse.
 */
import { FIXTURE, startEmulator, type EmulatorOptions } from './index';

function parseArgs(argv: string[]): Record<string, string | true> {
	const out: Record<string, string | true> = {};
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
		const [k, inline] = a.slice(2).split('=', 2);
		if (inline !== undefined) out[k] = inline;
		else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) out[k] = argv[++i];
		else out[k] = true;
	}
	return out;
}

const KNOWN = new Set([
	'port',
	'https-port',
	'seed',
	'machines',
	'alerts',
	'incidents',
	'hunting-rows',
	'time-scale',
	'token-lifetime',
	'no-quotas',
	'pending-ms',
	'in-progress-ms',
	'help',
]);

async function main() {
	const args = parseArgs(process.argv.slice(2));
	if (args.help) {
		console.log(
			'usage: npm run emulator -- [--port N] [--https-port N] [--seed N] [--machines N] [--alerts N] [--incidents N] [--hunting-rows N] [--time-scale N] [--token-lifetime S] [--no-quotas] [--pending-ms N] [--in-progress-ms N]',
		);
		return;
	}
	for (const k of Object.keys(args)) if (!KNOWN.has(k)) throw new Error(`unknown flag --${k}`);
	const num = (k: string): number | undefined => {
		const v = args[k];
		if (v === undefined) return undefined;
		const n = Number(v);
		if (v === true || !Number.isFinite(n)) throw new Error(`--${k} needs a number`);
		return n;
	};
	const sizes = {
		machines: num('machines'),
		alerts: num('alerts'),
		incidents: num('incidents'),
		huntingRows: num('hunting-rows'),
	};
	const opts: EmulatorOptions = {
		port: num('port') ?? 0,
		httpsPort: num('https-port') ?? 0,
		seed: num('seed') ?? 1,
		sizes: Object.fromEntries(Object.entries(sizes).filter(([, v]) => v !== undefined)),
		timeScale: num('time-scale') ?? 1,
		tokenLifetimeSec: num('token-lifetime'),
		quotas: args['no-quotas'] ? false : undefined,
	};
	const pendingMs = num('pending-ms');
	const inProgressMs = num('in-progress-ms');
	if (pendingMs !== undefined || inProgressMs !== undefined) {
		opts.actionTiming = { pendingMs: pendingMs ?? 2000, inProgressMs: inProgressMs ?? 3000 };
	}
	const emu = await startEmulator(opts);
	const t0 = Date.now();
	for (const t of Object.values(FIXTURE.tenants)) emu.store(t.id); // generate data up front
	const genMs = Date.now() - t0;

	const lines = [
		'Defender emulator (TEST-ONLY credentials below; never use them anywhere else)',
		`  HTTP   ${emu.httpUrl}`,
		`  HTTPS  ${emu.httpsUrl}   (CA: test/fixtures/tls/ca.pem)`,
		`  Token  ${emu.httpUrl}/{tenant}/oauth2/v2.0/token   MDE/XDR: ${emu.httpUrl}/api/...   Graph: ${emu.httpUrl}/v1.0/security/...`,
		`  Control ${emu.httpUrl}/_control/health | log | faults | clock | reset | tenants/:tenant/...`,
		`  Data generated for ${Object.keys(FIXTURE.tenants).length} tenants in ${genMs} ms (seed ${opts.seed})`,
		'  Tenants:',
		...Object.entries(FIXTURE.tenants).map(([k, t]) => `    ${k}  ${t.id}  ${t.domain}`),
		'  Apps:',
		...Object.values(FIXTURE.apps).map(
			(a) =>
				`    ${a.name.padEnd(9)} client_id ${a.clientId}  secret ${a.secret}${'secretExpiresAt' in a ? ' (expired)' : ''}`,
		),
		'    FULL certificate: test/fixtures/tls/app-full.pem  key: test/fixtures/tls/app-full.key',
	];
	console.log(lines.join('\n'));
	console.log(
		`EMULATOR_READY ${JSON.stringify({ httpUrl: emu.httpUrl, httpsUrl: emu.httpsUrl, pid: process.pid })}`,
	);

	const stop = async () => {
		await emu.close();
		process.exit(0);
	};
	process.on('SIGINT', () => void stop());
	process.on('SIGTERM', () => void stop());
}

main().catch((e) => {
	console.error(e instanceof Error ? e.message : e);
	process.exit(1);
});
