/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-restricted-globals, @n8n/community-nodes/no-dangerous-functions, no-console */
/**
 * `npm run bench:stream [-- --quick] [--no-docs]`: the streaming-export trigger against a raw
 * Azure SDK consumer (@azure/storage-queue + @azure/storage-blob) in the same run, on Azurite.
 *
 * Full: 1,000,000 records in 100 PT1H.json append blobs, the largest holding 10 % of them.
 * Quick (CI): 20,000 records in 10 blobs. The records are written once; each side gets its own
 * queue with the same 100 Blob Created messages and runs in a fresh process (so its peak RSS is
 * its own): the trigger polls (via the unit harness, Max Items per Poll 10,000, Read Size 4 MiB)
 * until every record was emitted once; the baseline receives 32 messages at a time, streams each
 * blob with the SDK's download(), parses every line and deletes the message. Records/s, peak RSS
 * and the largest blob's size are printed and, for a full run, written to docs/performance.md.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';

import { QueueClient, StorageSharedKeyCredential } from '@azure/storage-queue';
import { BlobServiceClient, StorageSharedKeyCredential as BlobKey } from '@azure/storage-blob';

import {
	decodeQueueMessage,
	encodeQueueMessage,
} from '../nodes/MicrosoftDefender/helpers/streamExport';
import { runPoll } from '../test/harness';
import { MicrosoftDefenderStreamTrigger } from './nodes';
import {
	DEV_ACCOUNT,
	DEV_KEY,
	makeRecord,
	startAzurite,
	StreamFixture,
} from '../test/stream/azurite';

const START = '<!-- bench:stream:start -->';
const END = '<!-- bench:stream:end -->';
const TABLE = 'DeviceNetworkEvents';
const arg = (name: string) => process.argv.includes(`--${name}`);
const val = (name: string) => {
	const i = process.argv.indexOf(`--${name}`);
	return i >= 0 ? process.argv[i + 1] : undefined;
};

interface PhaseResult {
	side: 'trigger' | 'sdk';
	records: number;
	duplicates: number;
	seconds: number;
	recordsPerSec: number;
	peakRssMiB: number;
	polls?: number;
}

/* ------------------------------------------------------------------ phases (child processes) */

async function triggerPhase(
	blobUrl: string,
	queueUrl: string,
	queue: string,
	expected: number,
): Promise<PhaseResult> {
	const trigger = new MicrosoftDefenderStreamTrigger();
	const staticData = {};
	const parameters = {
		authentication: 'storageCredential',
		storageAccount: DEV_ACCOUNT,
		queueName: queue,
		storageCloud: 'custom',
		blobEndpoint: blobUrl,
		queueEndpoint: queueUrl,
		output: 'record',
		options: { quietMinutes: 0, recheckSeconds: 1 },
	};
	const credentials = {
		microsoftDefenderStorageApi: { authentication: 'accountKey', accountKeySecret: DEV_KEY },
	};
	const seen = new Uint8Array(expected);
	let records = 0;
	let duplicates = 0;
	let polls = 0;
	const t0 = performance.now();
	for (let empty = 0; empty < 3 && polls < 100000; ) {
		const out = await runPoll(trigger, {
			parameters,
			credentials: credentials as never,
			staticData,
			mode: 'trigger',
		});
		polls++;
		const items = out?.[0] ?? [];
		if (!items.length) {
			if (records >= expected) empty++;
			else await new Promise((r) => setTimeout(r, 200));
			continue;
		}
		for (const it of items) {
			const id = Number((it.json.properties as { ReportId?: number } | undefined)?.ReportId);
			if (!Number.isInteger(id)) continue;
			if (seen[id]) duplicates++;
			else records++;
			seen[id] = 1;
		}
		if (records >= expected) empty++;
	}
	const seconds = (performance.now() - t0) / 1000;
	return {
		side: 'trigger',
		records,
		duplicates,
		seconds,
		recordsPerSec: records / seconds,
		peakRssMiB: process.resourceUsage().maxRSS / 1024,
		polls,
	};
}

async function sdkPhase(
	blobUrl: string,
	queueUrl: string,
	queue: string,
	expected: number,
): Promise<PhaseResult> {
	const q = new QueueClient(
		`${queueUrl}/${queue}`,
		new StorageSharedKeyCredential(DEV_ACCOUNT, DEV_KEY),
	);
	const blobs = new BlobServiceClient(blobUrl, new BlobKey(DEV_ACCOUNT, DEV_KEY));
	const seen = new Uint8Array(expected);
	let records = 0;
	let duplicates = 0;
	const t0 = performance.now();
	for (;;) {
		const r = await q.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 300 });
		if (!r.receivedMessageItems.length) break;
		for (const m of r.receivedMessageItems) {
			const d = decodeQueueMessage(m.messageText);
			if (d.kind !== 'blobCreated') continue;
			const dl = await blobs
				.getContainerClient(d.event.container)
				.getBlobClient(d.event.blob)
				.download();
			let carry = '';
			for await (const chunk of dl.readableStreamBody as AsyncIterable<Buffer>) {
				const text = carry + chunk.toString('utf8');
				const lines = text.split('\n');
				carry = lines.pop() ?? '';
				for (const line of lines) {
					if (!line) continue;
					const rec = JSON.parse(line) as { properties: { ReportId: number } };
					const id = rec.properties.ReportId;
					if (seen[id]) duplicates++;
					else records++;
					seen[id] = 1;
				}
			}
			await q.deleteMessage(m.messageId, m.popReceipt);
		}
	}
	const seconds = (performance.now() - t0) / 1000;
	return {
		side: 'sdk',
		records,
		duplicates,
		seconds,
		recordsPerSec: records / seconds,
		peakRssMiB: process.resourceUsage().maxRSS / 1024,
	};
}

/* ------------------------------------------------------------------ driver */

function runPhase(
	side: string,
	blobUrl: string,
	queueUrl: string,
	queue: string,
	expected: number,
): Promise<PhaseResult> {
	return new Promise((res, rej) => {
		const child = spawn(
			process.execPath,
			[
				...process.execArgv,
				__filename,
				'--phase',
				side,
				'--blob',
				blobUrl,
				'--queue-url',
				queueUrl,
				'--queue',
				queue,
				'--expected',
				String(expected),
			],
			{
				stdio: ['ignore', 'pipe', 'inherit'],
			},
		);
		let out = '';
		child.stdout.on('data', (d: Buffer) => (out += d.toString()));
		child.on('exit', (code) => {
			const m = /BENCH_STREAM (\{.*\})/.exec(out);
			if (code === 0 && m) res(JSON.parse(m[1]) as PhaseResult);
			else rej(new Error(`${side} phase exited with ${code}: ${out.slice(-500)}`));
		});
	});
}

async function main(): Promise<void> {
	const quick = arg('quick');
	const total = quick ? 20000 : 1000000;
	const blobCount = quick ? 10 : 100;
	const largest = Math.round(total * 0.1);
	const rest = total - largest;
	const sizes = [
		largest,
		...Array.from(
			{ length: blobCount - 1 },
			(_, i) => Math.floor(rest / (blobCount - 1)) + (i < rest % (blobCount - 1) ? 1 : 0),
		),
	];
	const started = new Date();
	console.error(
		`[bench:stream] ${quick ? 'quick' : 'full'}: ${total.toLocaleString('en-US')} records in ${blobCount} blobs (largest ${largest.toLocaleString('en-US')})`,
	);
	const az = await startAzurite();
	try {
		const fx = new StreamFixture(az);
		const queues = ['bench-trigger', 'bench-sdk'];
		for (const q of queues) await fx.createQueue(q);
		let next = 0;
		let largestBytes = 0;
		let totalBytes = 0;
		const t0 = performance.now();
		for (let b = 0; b < blobCount; b++) {
			const path = `tenantId=bench/y=2026/m=01/d=05/h=${String(b % 24).padStart(2, '0')}/m=00/blob${b}/PT1H.json`;
			let bytes = 0;
			// Written in ~4 MiB appends like the streaming API's appends (never the whole blob in memory).
			for (let left = sizes[b]; left > 0; ) {
				const n = Math.min(left, 9000);
				let text = '';
				for (let i = 0; i < n; i++) text += `${JSON.stringify(makeRecord(TABLE, next++))}\n`;
				await fx.append(TABLE, path, text);
				bytes += Buffer.byteLength(text);
				left -= n;
			}
			largestBytes = Math.max(largestBytes, bytes);
			totalBytes += bytes;
			const event = fx.blobCreatedEvent(TABLE, path);
			for (const q of queues) await fx.putMessage(q, encodeQueueMessage(event as never));
			if ((b + 1) % Math.max(1, Math.floor(blobCount / 10)) === 0) {
				console.error(
					`[bench:stream] wrote ${b + 1}/${blobCount} blobs (${(totalBytes / 1048576).toFixed(0)} MiB, ${((performance.now() - t0) / 1000).toFixed(0)} s)`,
				);
			}
		}
		console.error('[bench:stream] trigger phase (fresh process)…');
		const trig = await runPhase('trigger', az.blobUrl, az.queueUrl, 'bench-trigger', total);
		console.error(
			`[bench:stream] trigger: ${Math.round(trig.recordsPerSec).toLocaleString('en-US')} records/s, peak RSS ${trig.peakRssMiB.toFixed(0)} MiB`,
		);
		console.error('[bench:stream] SDK baseline phase (fresh process)…');
		const sdk = await runPhase('sdk', az.blobUrl, az.queueUrl, 'bench-sdk', total);
		console.error(
			`[bench:stream] SDK: ${Math.round(sdk.recordsPerSec).toLocaleString('en-US')} records/s, peak RSS ${sdk.peakRssMiB.toFixed(0)} MiB`,
		);
		const ok = trig.records === total && trig.duplicates === 0 && sdk.records === total;
		const f = (n: number) => Math.round(n).toLocaleString('en-US');
		const md = [
			`Run of ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC (${quick ? '--quick' : 'full'}), ${cpus().length} CPUs, load average ${loadavg()[0].toFixed(1)} at the end, Node ${process.version}, Azurite 3.37 on disk.`,
			`${f(total)} records (${(totalBytes / 1048576).toFixed(0)} MiB) in ${blobCount} append blobs; largest blob ${f(largest)} records = ${(largestBytes / 1048576).toFixed(1)} MiB.`,
			'',
			'| Side | Records | Duplicates | Seconds | Records/s | Peak RSS (MiB) |',
			'|---|---|---|---|---|---|',
			`| Stream trigger (${f(trig.polls ?? 0)} polls, 10,000 items per poll, 4 MiB ranges) | ${f(trig.records)} | ${trig.duplicates} | ${trig.seconds.toFixed(1)} | ${f(trig.recordsPerSec)} | ${trig.peakRssMiB.toFixed(0)} |`,
			`| Raw Azure SDK (receive 32, download() stream, JSON.parse, delete) | ${f(sdk.records)} | ${sdk.duplicates} | ${sdk.seconds.toFixed(1)} | ${f(sdk.recordsPerSec)} | ${sdk.peakRssMiB.toFixed(0)} |`,
			'',
			`Trigger / SDK throughput: **${(trig.recordsPerSec / sdk.recordsPerSec).toFixed(2)}×**. Trigger peak RSS ${trig.peakRssMiB.toFixed(0)} MiB against a largest blob of ${(largestBytes / 1048576).toFixed(1)} MiB (${(trig.peakRssMiB / (largestBytes / 1048576)).toFixed(2)}×).`,
		].join('\n');
		console.log(md);
		if (!quick && !arg('no-docs')) {
			const docPath = resolve(__dirname, '..', 'docs', 'performance.md');
			const doc = readFileSync(docPath, 'utf8');
			const block = `${START}\n${md}\n${END}`;
			writeFileSync(
				docPath,
				doc.includes(START)
					? doc.replace(new RegExp(`${START}[\\s\\S]*?${END}`), block)
					: `${doc.trimEnd()}\n\n## Streaming export trigger\n\n${block}\n`,
			);
			console.error('[bench:stream] docs/performance.md updated');
		}
		if (!ok) {
			console.error('[bench:stream] FAILED: records lost or repeated');
			process.exitCode = 1;
		}
	} finally {
		await az.close();
	}
}

const phase = val('phase');
if (phase) {
	const fn = phase === 'trigger' ? triggerPhase : sdkPhase;
	fn(val('blob')!, val('queue-url')!, val('queue')!, Number(val('expected')))
		.then((r) => console.log(`BENCH_STREAM ${JSON.stringify(r)}`))
		.catch((e) => {
			console.error(e);
			process.exit(1);
		});
} else {
	main().catch((e) => {
		console.error(e);
		process.exit(1);
	});
}
