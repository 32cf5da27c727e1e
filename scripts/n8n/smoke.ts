/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-restricted-globals, no-console */
/**
 * Smoke test of the real-n8n harness (no emulator needed):
 *   npx tsx scripts/n8n/smoke.ts <1|2> [--tarball <path.tgz>] [--keep]
 * 1. throwaway user folder, import Manual Trigger → Set, `n8n execute --id`, read the Set output;
 * 2. with --tarball: install the packed package like n8n's community installer, `n8n start`,
 *    owner setup + login, and check /types/nodes.json lists our node and credential types.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
	createUserFolder,
	executeWorkflow,
	importWorkflows,
	installPackageTarball,
	nodeOutput,
	publishWorkflow,
	setupOwnerAndLogin,
	startN8n,
	waitFor,
	type N8nLine,
} from './harness';

const SMOKE_WORKFLOW = {
	id: 'smokeWorkflow0001',
	name: 'Harness smoke',
	nodes: [
		{
			id: 'b1a1a1a1-0000-4000-8000-000000000001',
			name: 'Start',
			type: 'n8n-nodes-base.manualTrigger',
			typeVersion: 1,
			position: [0, 0],
			parameters: {},
		},
		{
			id: 'b1a1a1a1-0000-4000-8000-000000000002',
			name: 'Set',
			type: 'n8n-nodes-base.set',
			typeVersion: 3.4,
			position: [220, 0],
			parameters: {
				mode: 'manual',
				assignments: { assignments: [{ id: 'a1', name: 'hello', value: 'world', type: 'string' }] },
				options: {},
			},
		},
	],
	connections: { Start: { main: [[{ node: 'Set', type: 'main', index: 0 }]] } },
};

/** Manual Trigger → HTTP Request GET url (to show n8n's SSRF protection at work). */
function httpWorkflow(id: string, url: string) {
	return {
		id,
		name: `SSRF probe ${url}`,
		nodes: [
			{ id: 'c1a1a1a1-0000-4000-8000-000000000001', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
			{
				id: 'c1a1a1a1-0000-4000-8000-000000000002',
				name: 'HTTP',
				type: 'n8n-nodes-base.httpRequest',
				typeVersion: 4.2,
				position: [220, 0],
				parameters: { url, options: {} },
			},
		],
		connections: { Start: { main: [[{ node: 'HTTP', type: 'main', index: 0 }]] } },
	};
}

/** Schedule Trigger (every 2 s) → Set; published so a running n8n fires it. */
const SCHEDULE_WORKFLOW = {
	id: 'smokeSchedule0001',
	name: 'Harness schedule smoke',
	nodes: [
		{
			id: 'd1a1a1a1-0000-4000-8000-000000000001',
			name: 'Every 2s',
			type: 'n8n-nodes-base.scheduleTrigger',
			typeVersion: 1.2,
			position: [0, 0],
			parameters: { rule: { interval: [{ field: 'seconds', secondsInterval: 2 }] } },
		},
		{
			id: 'd1a1a1a1-0000-4000-8000-000000000002',
			name: 'Set',
			type: 'n8n-nodes-base.set',
			typeVersion: 3.4,
			position: [220, 0],
			parameters: {
				mode: 'manual',
				assignments: { assignments: [{ id: 'a1', name: 'tick', value: 'yes', type: 'string' }] },
				options: {},
			},
		},
	],
	connections: { 'Every 2s': { main: [[{ node: 'Set', type: 'main', index: 0 }]] } },
};

async function main(): Promise<void> {
	const line = Number(process.argv[2]) as N8nLine;
	if (line !== 1 && line !== 2) throw new Error('usage: smoke.ts <1|2> [--tarball x.tgz] [--keep]');
	const ti = process.argv.indexOf('--tarball');
	const tarball = ti > 0 ? process.argv[ti + 1] : undefined;
	const keep = process.argv.includes('--keep');
	const t0 = Date.now();
	const sec = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;

	const folder = await createUserFolder({ line });
	console.log(`[${sec()}] n8n ${folder.version}: user folder ${folder.userFolder}`);
	try {
		const imp = await importWorkflows(folder, [SMOKE_WORKFLOW]);
		console.log(`[${sec()}] import:workflow ok (${imp.ms} ms)`);
		const res = await executeWorkflow(folder, SMOKE_WORKFLOW.id);
		console.log(`[${sec()}] execute exit ${res.code} in ${res.ms} ms, ok=${res.ok}`);
		if (!res.run) {
			console.log('--- stdout ---\n' + res.stdout + '\n--- stderr ---\n' + res.stderr);
			throw new Error('no run JSON found in n8n execute output');
		}
		const out = nodeOutput(res.run, 'Set');
		console.log(`[${sec()}] Set output: ${JSON.stringify(out)}`);
		if (out[0]?.hello !== 'world') throw new Error('unexpected Set output');

		// SSRF: a loopback server on all interfaces; 127.0.0.1 is allowed, 127.0.0.2 is not.
		const probe = createServer((_req, res) => {
			res.setHeader('content-type', 'application/json');
			res.end(JSON.stringify({ reached: true }));
		});
		await new Promise<void>((r) => probe.listen(0, '0.0.0.0', () => r()));
		const probePort = (probe.address() as AddressInfo).port;
		try {
			await importWorkflows(folder, [
				httpWorkflow('smokeSsrfAllowed1', `http://127.0.0.1:${probePort}/allowed`),
				httpWorkflow('smokeSsrfBlocked1', `http://127.0.0.2:${probePort}/blocked`),
			]);
			for (const id of ['smokeSsrfAllowed1', 'smokeSsrfBlocked1']) {
				const r = await executeWorkflow(folder, id);
				const err = r.run?.data.resultData.error;
				console.log(
					`[${sec()}] ${id}: ok=${r.ok} ${r.ok ? JSON.stringify(nodeOutput(r.run!, 'HTTP')) : `error: ${err?.message ?? r.stderr.slice(-300)}`}`,
				);
			}
		} finally {
			probe.close();
		}

		await importWorkflows(folder, [SCHEDULE_WORKFLOW]);
		await publishWorkflow(folder, SCHEDULE_WORKFLOW.id);
		console.log(`[${sec()}] schedule workflow published`);
		if (tarball) {
			const target = await installPackageTarball(folder, tarball);
			console.log(`[${sec()}] package installed at ${target}`);
		}
		{
			const srv = await startN8n(folder);
			console.log(`[${sec()}] n8n start answered /rest/settings on ${srv.baseUrl}`);
			try {
				const api = await setupOwnerAndLogin(srv);
				console.log(`[${sec()}] owner setup + login ok`);
				const execs = await waitFor(async () => {
					const l = await api.listExecutions(SCHEDULE_WORKFLOW.id);
					return l.length >= 2 ? l : undefined;
				}, 60_000);
				console.log(`[${sec()}] schedule executions: ${execs.length} (${execs.map((e) => `${e.id}:${e.mode}:${e.status}`).join(' ')})`);
				const full = await api.getExecution(execs[0].id, line);
				const tick = full.data?.resultData.runData.Set?.[0]?.data?.main?.[0]?.[0]?.json;
				console.log(`[${sec()}] execution ${execs[0].id} Set output: ${JSON.stringify(tick)}`);
				if (tarball) {
					const types = await api.nodeTypeNames();
					const ours = types.filter((t) => t.startsWith('n8n-nodes-microsoft-defender.'));
					console.log(`[${sec()}] ${types.length} node types; ours: ${ours.join(', ') || '(none)'}`);
					const creds = await api.request<unknown[]>('GET', '/types/credentials.json');
					const ourCreds = Array.isArray(creds.body)
						? (creds.body as Array<{ name: string }>).map((c) => c.name).filter((n) => /defender|entra/i.test(n))
						: [];
					console.log(`[${sec()}] credential types matching defender/entra: ${ourCreds.join(', ') || '(none)'}`);
					if (!ours.includes('n8n-nodes-microsoft-defender.microsoftDefender')) {
						console.log(srv.logs().slice(-4000));
						throw new Error('n8n-nodes-microsoft-defender.microsoftDefender not loaded');
					}
				}
			} finally {
				await srv.stop();
			}
		}
		console.log(`[${sec()}] SMOKE OK (n8n ${folder.version})`);
	} finally {
		if (!keep) await folder.cleanup();
	}
}

main().catch((e: unknown) => {
	console.error(e instanceof Error ? e.stack : e);
	process.exit(1);
});
