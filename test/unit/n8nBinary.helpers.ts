/* eslint-disable @n8n/community-nodes/no-restricted-imports */
/**
 * n8n's own binary-data code (n8n-core's BinaryDataService and binary helpers) for node tests, so
 * binary behaviour is tested through n8n, not a stand-in. Mode 'filesystem' (what production n8n
 * uses for large files) or 'default' (in memory), in a temporary folder.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { BinaryDataService, getBinaryDataBuffer, prepareBinaryData } from 'n8n-core';
import type { IBinaryData, IExecuteFunctions, INodeExecutionData, INodeType } from 'n8n-workflow';

import { createExecuteContext, type HarnessOptions } from '../harness';

// n8n-core ships its own copy of @n8n/di: register the service in the container n8n-core reads.
const coreRequire = createRequire(require.resolve('n8n-core'));
const { Container } = coreRequire('@n8n/di') as typeof import('@n8n/di');

export const WORKFLOW_ID = 'wf-binary-test';
export const EXECUTION_ID = 'exec-binary-test';

export interface CoreBinary {
	service: BinaryDataService;
	folder: string;
	close(): void;
}

/** Sets up n8n-core's BinaryDataService (registered in n8n's DI container) in a temp folder. */
export async function startCoreBinary(mode: 'filesystem' | 'default' = 'filesystem'): Promise<CoreBinary> {
	const folder = mkdtempSync(join(tmpdir(), 'n8n-binary-'));
	const config = { mode, availableModes: ['filesystem'], localStoragePath: folder, signingSecret: 'test-secret', dbMaxFileSize: 512 };
	const quiet = { error() {}, warn() {}, info() {}, debug() {} };
	// eslint-disable-next-line @typescript-eslint/no-explicit-any -- n8n's DI types want its own config classes
	const service = new BinaryDataService(config as any, quiet as any, quiet as any);
	await service.init();
	Container.set(BinaryDataService, service);
	return { service, folder, close: () => rmSync(folder, { recursive: true, force: true }) };
}

/** An execute context of the harness whose binary helpers are n8n-core's. */
export function coreExecuteContext(opts: HarnessOptions): IExecuteFunctions {
	const ctx = createExecuteContext(opts);
	const items = opts.items ?? [{ json: {} }];
	Object.assign(ctx.helpers, {
		prepareBinaryData: async (data: Buffer, filePath?: string, mimeType?: string) =>
			await prepareBinaryData(data, EXECUTION_ID, WORKFLOW_ID, filePath, mimeType),
		getBinaryDataBuffer: async (itemIndex: number, propertyName: string) =>
			await getBinaryDataBuffer({ main: [items] }, itemIndex, propertyName, 0),
	});
	return ctx;
}

export async function runNodeWithCoreBinary(node: INodeType, opts: HarnessOptions): Promise<INodeExecutionData[][]> {
	const ctx = coreExecuteContext({ ...opts, properties: opts.properties ?? node.description.properties });
	return (await node.execute!.call(ctx)) as INodeExecutionData[][];
}

/** Reads binary data back through n8n (as the next node would). */
export async function readBinary(binary: IBinaryData): Promise<Buffer> {
	return await Container.get(BinaryDataService).getAsBuffer(binary);
}
