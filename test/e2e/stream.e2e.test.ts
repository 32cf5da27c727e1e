/* eslint-disable @n8n/community-nodes/no-restricted-globals */
/**
 * The Microsoft Defender Stream Trigger in a REAL n8n (each pinned line), published and run by
 * `n8n start`, against Azurite (Shared Key credential) behind a fault proxy:
 * - the activation poll emits the records of the blobs announced in the queue (one 503 from
 *   storage on the way is retried);
 * - n8n is stopped and started again (static data from n8n's database), more blobs and a
 *   duplicate Event Grid event arrive meanwhile; after the restart only the new records come;
 * - every record exactly once, the queue empty at the end (messages deleted after the emit).
 */
import type { IDataObject } from 'n8n-workflow';

import {
	createUserFolder,
	importCredentials,
	importWorkflows,
	installPackageTarball,
	publishWorkflow,
	setupOwnerAndLogin,
	startN8n,
	waitFor,
	type N8nFolder,
	type N8nLine,
	type N8nRest,
} from '../../scripts/n8n/harness';
import {
	DEV_ACCOUNT,
	DEV_KEY,
	hourPath,
	recordLines,
	startAzurite,
	startFaultProxy,
	StreamFixture,
	type Azurite,
} from '../stream/azurite';
import { e2eLines } from './global-setup';

const CRED = { id: 'e2eStreamKey0001', name: 'Azurite (Shared Key)' };
const QUEUE = 'defender-blob-created';
const WF_ID = 'e2eStreamTrig001';
const NODE = 'Defender stream';
const OLD = new Date(Date.UTC(2026, 0, 5, 8));

function workflow(blobUrl: string, queueUrl: string) {
	return {
		id: WF_ID,
		name: 'e2e: Defender streaming export',
		nodes: [
			{
				id: 'e0000000-0000-4000-8000-000000000021',
				name: NODE,
				type: 'n8n-nodes-microsoft-defender.microsoftDefenderStreamTrigger',
				typeVersion: 1,
				position: [0, 0],
				parameters: {
					pollTimes: { item: [{ mode: 'everyMinute' }] },
					authentication: 'storageCredential',
					storageAccount: DEV_ACCOUNT,
					queueName: QUEUE,
					storageCloud: 'custom',
					blobEndpoint: blobUrl,
					queueEndpoint: queueUrl,
					tables: ['DeviceNetworkEvents', 'DeviceProcessEvents'],
					options: { quietMinutes: 0 },
				},
				credentials: { microsoftDefenderStorageApi: CRED },
			},
		],
		connections: {},
	};
}

async function emittedIds(api: N8nRest, line: N8nLine): Promise<number[]> {
	const ids: number[] = [];
	for (const e of await api.listExecutions(WF_ID)) {
		const full = await api.getExecution(e.id, line);
		for (const r of full.data?.resultData.runData[NODE] ?? []) {
			for (const it of r.data?.main?.[0] ?? []) {
				const props = (it.json as IDataObject).properties as IDataObject | undefined;
				if (props && typeof props.ReportId === 'number') ids.push(props.ReportId);
			}
		}
	}
	return ids;
}

describe.each(e2eLines())(
	'real n8n line %i: Microsoft Defender Stream Trigger on Azurite',
	(line) => {
		let az: Azurite;
		let fx: StreamFixture;
		let folder: N8nFolder;
		let blobProxy: Awaited<ReturnType<typeof startFaultProxy>>;

		beforeAll(async () => {
			az = await startAzurite();
			fx = new StreamFixture(az);
			blobProxy = await startFaultProxy(new URL(az.blobUrl).origin);
			await fx.createQueue(QUEUE);
			folder = await createUserFolder({ line });
			await installPackageTarball(folder, process.env.E2E_TARBALL as string);
			await importCredentials(folder, [
				{
					...CRED,
					type: 'microsoftDefenderStorageApi',
					data: { authentication: 'accountKey', accountKeySecret: DEV_KEY },
				},
			]);
			await importWorkflows(folder, [workflow(`${blobProxy.url}/${DEV_ACCOUNT}`, az.queueUrl)]);
		}, 300_000);
		afterAll(async () => {
			await folder?.cleanup();
			await blobProxy?.close();
			await az?.close();
		});

		it('published trigger: records emitted exactly once across a restart, a 503 and a duplicate event; queue drained', async () => {
			const p1 = `t/${hourPath(OLD)}`;
			const p2 = `t/${hourPath(new Date(OLD.getTime() + 3600000))}`;
			await fx.append('DeviceNetworkEvents', p1, recordLines('DeviceNetworkEvents', 0, 300));
			await fx.putBlockBlob(
				'DeviceProcessEvents',
				't/block.json',
				recordLines('DeviceProcessEvents', 300, 100),
			);
			await fx.append('DeviceLogonEvents', p1, recordLines('DeviceLogonEvents', 10000, 10)); // filtered out
			await fx.announce(QUEUE, 'DeviceNetworkEvents', p1);
			await fx.announce(QUEUE, 'DeviceProcessEvents', 't/block.json', 'BlockBlob');
			await fx.announce(QUEUE, 'DeviceLogonEvents', p1);
			blobProxy.rules.push({ count: 1, status: 503, match: (r) => r.method === 'GET' });

			await publishWorkflow(folder, WF_ID);
			let srv = await startN8n(folder);
			try {
				const api = await setupOwnerAndLogin(srv);
				// The activation poll reads both blobs.
				await waitFor(async () => (await emittedIds(api, line)).length >= 400, 120_000, 2000);
				await sleep(3000); // let the execution (and the static data) be saved
			} finally {
				await srv.stop();
			}
			expect(blobProxy.injected).toBe(1);

			// While n8n is down: a new blob, and Event Grid delivers the first event again.
			await fx.append('DeviceNetworkEvents', p2, recordLines('DeviceNetworkEvents', 400, 50));
			await fx.announce(QUEUE, 'DeviceNetworkEvents', p2);
			await fx.announce(QUEUE, 'DeviceNetworkEvents', p1);

			srv = await startN8n(folder);
			try {
				const api = await setupOwnerAndLogin(srv);
				await waitFor(async () => (await emittedIds(api, line)).length >= 450, 120_000, 2000);
				// The next scheduled poll deletes the last messages (delete after emit).
				await waitFor(async () => (await fx.depth(QUEUE)) === 0, 150_000, 3000);
				await sleep(3000);
				const ids = await emittedIds(api, line);
				expect(ids).toHaveLength(450);
				expect(new Set(ids).size).toBe(450);
				expect(Math.min(...ids)).toBe(0);
				expect(Math.max(...ids)).toBe(449);
				const execs = await api.listExecutions(WF_ID);
				expect(execs.every((e) => e.status === 'success')).toBe(true);
			} finally {
				await srv.stop();
			}
		}, 600_000);
	},
);

function sleep(ms: number): Promise<void> {
	return new Promise((r) => setTimeout(r, ms));
}
