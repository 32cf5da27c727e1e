/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-restricted-globals, @n8n/community-nodes/no-dangerous-functions, @n8n/community-nodes/no-hardcoded-secrets */
/**
 * Azurite (the Azure Storage emulator, npm `azurite`) for the streaming-export trigger's tests,
 * demo and benchmark, plus a fixture that plays Defender's streaming API and Event Grid:
 * it writes PT1H.json blobs in the export's layout (one JSON record per line, append blobs that
 * grow during their hour) and puts the matching Event Grid Blob Created events, base64-encoded,
 * into the storage queue (Azurite does not emulate Event Grid). Writes go through the official
 * Azure SDK (@azure/storage-blob, @azure/storage-queue), independent of the code under test.
 *
 *   const az = await startAzurite();                 // http, Shared Key
 *   const az = await startAzurite({ oauth: true });  // https + --oauth basic (Entra tokens)
 *   const fx = new StreamFixture(az);
 *   await fx.createQueue('defender-events');
 *   await fx.appendRecords('DeviceNetworkEvents', path, records(…)); await fx.announce(queue, 'DeviceNetworkEvents', path);
 *   await az.close();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import * as https from 'node:https';

import {
	AppendBlobClient,
	BlobServiceClient,
	BlockBlobClient,
	newPipeline,
	StorageSharedKeyCredential,
} from '@azure/storage-blob';
import {
	QueueServiceClient,
	newPipeline as newQueuePipeline,
	StorageSharedKeyCredential as QueueKeyCredential,
} from '@azure/storage-queue';

import type { IDataObject } from 'n8n-workflow';

import {
	containerOfTable,
	encodeQueueMessage,
} from '../../nodes/MicrosoftDefender/helpers/streamExport';

const ROOT = resolve(__dirname, '..', '..');
const AZURITE_MAIN = join(ROOT, 'node_modules', 'azurite', 'dist', 'src', 'azurite.js');
const TLS = join(ROOT, 'test', 'fixtures', 'tls');

/** Azurite's well-known development account (public, documented by Microsoft). */
export const DEV_ACCOUNT = 'devstoreaccount1';
export const DEV_KEY =
	'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface Azurite {
	blobUrl: string;
	queueUrl: string;
	account: string;
	key: string;
	https: boolean;
	ca?: string;
	blobService: BlobServiceClient;
	queueService: QueueServiceClient;
	close(): Promise<void>;
}

/** Makes an SDK pipeline trust the test CA (the SDK has no CA option; a request's agent is honoured). */
function trustCa(pipeline: { factories: unknown[] }, ca: string): void {
	const agent = new https.Agent({ ca, keepAlive: true });
	pipeline.factories.unshift({
		create: (next: { sendRequest(r: { agent?: unknown }): Promise<unknown> }) => ({
			sendRequest: (req: { agent?: unknown }) => {
				req.agent = agent;
				return next.sendRequest(req);
			},
		}),
	});
}

export async function startAzurite(
	o: {
		oauth?: boolean;
		location?: string;
		log?: (line: string) => void;
		extraArgs?: string[];
	} = {},
): Promise<Azurite> {
	const dir = o.location ?? mkdtempSync(join(tmpdir(), 'azurite-'));
	const args = [
		AZURITE_MAIN,
		'--blobHost',
		'127.0.0.1',
		'--blobPort',
		'0',
		'--queueHost',
		'127.0.0.1',
		'--queuePort',
		'0',
		'--tableHost',
		'127.0.0.1',
		'--tablePort',
		'0',
		'--location',
		dir,
		'--skipApiVersionCheck',
		'--disableProductStyleUrl',
	];
	args.push(...(o.extraArgs ?? []));
	if (o.oauth)
		args.push(
			'--oauth',
			'basic',
			'--cert',
			join(TLS, 'server.pem'),
			'--key',
			join(TLS, 'server.key'),
		);
	const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
	const ports = await new Promise<{ blob: string; queue: string }>((res, rej) => {
		let out = '';
		const found: Record<string, string> = {};
		const timer = setTimeout(
			() => rej(new Error(`Azurite did not start: ${out.slice(-2000)}`)),
			30000,
		);
		const onData = (b: Buffer) => {
			out += b.toString();
			for (const m of out.matchAll(
				/Azurite (Blob|Queue) service is successfully listening at (\S+)/g,
			))
				found[m[1]] = m[2];
			if (found.Blob && found.Queue) {
				clearTimeout(timer);
				res({ blob: found.Blob, queue: found.Queue });
			}
		};
		child.stdout!.on('data', onData);
		child.stderr!.on('data', (b: Buffer) => {
			out += b.toString();
			o.log?.(b.toString());
		});
		child.on('exit', (code) => {
			clearTimeout(timer);
			rej(new Error(`Azurite exited (${code}): ${out.slice(-2000)}`));
		});
	});
	const blobUrl = `${ports.blob.replace(/\/$/, '')}/${DEV_ACCOUNT}`;
	const queueUrl = `${ports.queue.replace(/\/$/, '')}/${DEV_ACCOUNT}`;
	const ca = o.oauth ? readFileSync(join(TLS, 'ca.pem'), 'utf8') : undefined;
	const blobPipeline = newPipeline(new StorageSharedKeyCredential(DEV_ACCOUNT, DEV_KEY), {
		retryOptions: { maxTries: 1 },
	});
	const queuePipeline = newQueuePipeline(new QueueKeyCredential(DEV_ACCOUNT, DEV_KEY), {
		retryOptions: { maxTries: 1 },
	});
	if (ca) {
		trustCa(blobPipeline as unknown as { factories: unknown[] }, ca);
		trustCa(queuePipeline as unknown as { factories: unknown[] }, ca);
	}
	const blobService = new BlobServiceClient(blobUrl, blobPipeline);
	const queueService = new QueueServiceClient(queueUrl, queuePipeline);
	return {
		blobUrl,
		queueUrl,
		account: DEV_ACCOUNT,
		key: DEV_KEY,
		https: Boolean(o.oauth),
		ca,
		blobService,
		queueService,
		close: async () => {
			child.removeAllListeners('exit');
			await new Promise<void>((res) => {
				if (child.exitCode !== null) return res();
				const hard = setTimeout(() => child.kill('SIGKILL'), 3000);
				child.once('exit', () => {
					clearTimeout(hard);
					res();
				});
				child.kill('SIGTERM');
			});
			if (!o.location) rmSync(dir, { recursive: true, force: true });
		},
	};
}

export const TENANT = '11111111-1111-4111-8111-111111111111';

/** A record as the streaming API writes it: {time, tenantId, category, properties}. */
export function makeRecord(
	table: string,
	n: number,
	extra: Record<string, unknown> = {},
): Record<string, unknown> {
	const time = new Date(Date.UTC(2026, 11, 7, 10, 0, 0) + n * 1000).toISOString();
	return {
		time,
		tenantId: TENANT,
		operationName: 'Publish',
		category: `AdvancedHunting-${table}`,
		_TimeReceivedBySvc: time,
		properties: {
			Timestamp: time,
			DeviceId: `dev${n % 97}`,
			DeviceName: `host-${n % 97}.contoso.local`,
			ActionType: n % 3 === 0 ? 'ConnectionFailed' : 'ConnectionSuccess',
			RemoteIP: `10.0.${(n >> 8) & 255}.${n & 255}`,
			RemotePort: 443,
			Protocol: 'Tcp',
			ReportId: n,
			...extra,
		},
	};
}

export function recordLines(table: string, from: number, count: number): string {
	let s = '';
	for (let i = from; i < from + count; i++) s += `${JSON.stringify(makeRecord(table, i))}\n`;
	return s;
}

/** The export's blob path for an hour (assumed layout; the trigger reads only y=/m=/d=/h=). */
export function hourPath(date: Date, tenant = TENANT): string {
	const p = (n: number) => String(n).padStart(2, '0');
	return `tenantId=${tenant}/y=${date.getUTCFullYear()}/m=${p(date.getUTCMonth() + 1)}/d=${p(date.getUTCDate())}/h=${p(date.getUTCHours())}/m=00/PT1H.json`;
}

export class StreamFixture {
	constructor(public az: Azurite) {}

	/** The queue and its poison queue (created by the user in the setup guide). */
	async createQueue(name: string): Promise<void> {
		await this.az.queueService.getQueueClient(name).createIfNotExists();
		await this.az.queueService.getQueueClient(`${name}-poison`).createIfNotExists();
	}

	private async container(table: string) {
		const c = this.az.blobService.getContainerClient(containerOfTable(table));
		await c.createIfNotExists();
		return c;
	}

	/** Appends text to the table's append blob (created when missing), like the streaming API. */
	async append(table: string, path: string, text: string): Promise<AppendBlobClient> {
		const blob = (await this.container(table)).getAppendBlobClient(path);
		await blob.createIfNotExists({ blobHTTPHeaders: { blobContentType: 'application/json' } });
		const buf = Buffer.from(text, 'utf8');
		// Append Block takes at most 4 MiB per call.
		for (let i = 0; i < buf.length; i += 4 * 1048576) {
			const part = buf.subarray(i, i + 4 * 1048576);
			await blob.appendBlock(part, part.length);
		}
		return blob;
	}

	async putBlockBlob(table: string, path: string, text: string): Promise<BlockBlobClient> {
		const blob = (await this.container(table)).getBlockBlobClient(path);
		await blob.upload(text, Buffer.byteLength(text));
		return blob;
	}

	/** The Event Grid Blob Created event (Event Grid schema) for a blob. */
	blobCreatedEvent(
		table: string,
		path: string,
		blobType: 'AppendBlob' | 'BlockBlob' = 'AppendBlob',
		eTag = '0x8DC0000000000000',
	): Record<string, unknown> {
		const container = containerOfTable(table);
		return {
			topic: `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/soc/providers/Microsoft.Storage/storageAccounts/${this.az.account}`,
			subject: `/blobServices/default/containers/${container}/blobs/${path}`,
			eventType: 'Microsoft.Storage.BlobCreated',
			id: randomUUID(),
			eventTime: new Date().toISOString(),
			data: {
				api: blobType === 'AppendBlob' ? 'PutBlob' : 'PutBlockList',
				clientRequestId: randomUUID(),
				requestId: randomUUID(),
				eTag,
				contentType: 'application/json',
				contentLength: 0,
				blobType,
				url: `https://${this.az.account}.blob.core.windows.net/${container}/${path}`,
				sequencer: '0000000000000000000000000000000000000000000000000000000000000001',
				storageDiagnostics: { batchId: randomUUID() },
			},
			dataVersion: '',
			metadataVersion: '1',
		};
	}

	/** Puts the event into the queue, base64-encoded like Event Grid does. */
	async announce(
		queue: string,
		table: string,
		path: string,
		blobType: 'AppendBlob' | 'BlockBlob' = 'AppendBlob',
	): Promise<void> {
		await this.putMessage(
			queue,
			encodeQueueMessage(this.blobCreatedEvent(table, path, blobType) as IDataObject),
		);
	}

	async putMessage(queue: string, text: string): Promise<void> {
		await this.az.queueService.getQueueClient(queue).sendMessage(text);
	}

	/** Messages in the queue, visible or not (Azurite's count is exact). */
	async depth(queue: string): Promise<number> {
		const p = await this.az.queueService.getQueueClient(queue).getProperties();
		return p.approximateMessagesCount ?? 0;
	}

	async peekAll(queue: string): Promise<Array<{ text: string; dequeueCount: number }>> {
		const r = await this.az.queueService
			.getQueueClient(queue)
			.peekMessages({ numberOfMessages: 32 });
		return r.peekedMessageItems.map((m) => ({ text: m.messageText, dequeueCount: m.dequeueCount }));
	}
}

/* ------------------------------------------------------------------ fault proxy */

export interface FaultRule {
	/** Remaining injections. */
	count: number;
	status: number;
	headers?: Record<string, string>;
	match?: (req: http.IncomingMessage) => boolean;
}

/**
 * An HTTP proxy in front of Azurite that answers the next matching requests with an injected
 * status (429 with Retry-After, 503 ServerBusy…) instead of forwarding them: Azurite cannot
 * inject faults itself.
 */
export async function startFaultProxy(
	target: string,
): Promise<{
	url: string;
	rules: FaultRule[];
	injected: number;
	forwarded: number;
	close(): Promise<void>;
}> {
	const t = new URL(target);
	const state = { rules: [] as FaultRule[], injected: 0, forwarded: 0 };
	const server = http.createServer((req, res) => {
		const rule = state.rules.find((r) => r.count > 0 && (!r.match || r.match(req)));
		if (rule) {
			rule.count--;
			state.injected++;
			req.resume();
			const code =
				rule.status === 503
					? 'ServerBusy'
					: rule.status === 429
						? 'TooManyRequests'
						: 'InternalError';
			res.writeHead(rule.status, {
				'Content-Type': 'application/xml',
				'x-ms-error-code': code,
				...(rule.headers ?? {}),
			});
			res.end(
				`<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>injected</Message></Error>`,
			);
			return;
		}
		state.forwarded++;
		const up = http.request(
			{ host: t.hostname, port: t.port, method: req.method, path: req.url, headers: req.headers },
			(ur) => {
				res.writeHead(ur.statusCode ?? 502, ur.headers);
				ur.pipe(res);
			},
		);
		up.on('error', () => {
			res.writeHead(502);
			res.end();
		});
		req.pipe(up);
	});
	await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
	const addr = server.address() as { port: number };
	return {
		url: `http://127.0.0.1:${addr.port}`,
		rules: state.rules,
		get injected() {
			return state.injected;
		},
		get forwarded() {
			return state.forwarded;
		},
		close: () => new Promise<void>((r) => server.close(() => r())),
	};
}
