/**
 * Shared bits of the action-node tests (alert, incident, machine, machine action, indicator, ...):
 * run the action node against the emulator with real HTTP.
 */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { MicrosoftDefender } from '../../nodes/MicrosoftDefender/MicrosoftDefender.node';
import { resetTransportState, transportTuning } from '../../nodes/MicrosoftDefender/transport';
import { emulatorCredentials, runNode, type FixtureAppName } from '../harness';
import { startEmulator, type EmulatorOptions } from '../emulator';

export type Emulator = Awaited<ReturnType<typeof startEmulator>>;

export const node = new MicrosoftDefender();

/**
 * Starts an emulator on random ports. Unless `quotas` are given, quotas and the transport's
 * pacing are off so functional tests run at full speed (the bulk test turns both on).
 */
export async function startEmu(options: EmulatorOptions = {}): Promise<Emulator> {
	resetTransportState();
	if (options.quotas === undefined) {
		transportTuning.pacing = false;
		return await startEmulator({ port: 0, httpsPort: 0, seed: 7, quotas: false, ...options });
	}
	transportTuning.pacing = true;
	return await startEmulator({ port: 0, httpsPort: 0, seed: 7, ...options });
}

export interface RunOptions {
	app?: FixtureAppName | { clientId: string; secret: string };
	items?: INodeExecutionData[];
	continueOnFail?: boolean;
	nodeType?: string;
}

/** Runs the node; returns the first output's items. */
export async function run(
	emu: Emulator,
	parameters: Record<string, unknown>,
	o: RunOptions = {},
): Promise<INodeExecutionData[]> {
	const out = await runNode(node, {
		parameters,
		credentials: emulatorCredentials(emu, { app: o.app ?? 'full', tenant: 'A' }),
		items: o.items ?? [{ json: {} }],
		continueOnFail: o.continueOnFail ?? false,
		nodeType: o.nodeType,
	});
	return out[0];
}

/** Runs the node and returns the error it throws (fails the test when it does not throw). */
export async function runError(
	emu: Emulator,
	parameters: Record<string, unknown>,
	o: RunOptions = {},
): Promise<Error & { httpCode?: string | null; description?: string | null; context?: IDataObject }> {
	try {
		await run(emu, parameters, o);
	} catch (error) {
		return error as Error & { httpCode?: string; description?: string; context?: IDataObject };
	}
	throw new Error('expected the node to fail, but it succeeded');
}

export const byId = (value: string) => ({ __rl: true, mode: 'id', value });
export const byName = (value: string) => ({ __rl: true, mode: 'name', value });
export const byIp = (value: string) => ({ __rl: true, mode: 'ip', value });

/** Requests the node made to the Defender API (not token, not control). */
export function apiCalls(emu: Emulator, method?: string, pathPart?: string) {
	return emu.log.filter(
		(e) =>
			e.family !== 'entra' &&
			e.family !== 'control' &&
			(method === undefined || e.method === method) &&
			(pathPart === undefined || e.path.toLowerCase().includes(pathPart.toLowerCase())),
	);
}

export const TENANT_A = '11111111-1111-4111-8111-111111111111';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the store class belongs to EMU-DATA
export function storeOf(emu: Emulator): any {
	return emu.store(TENANT_A);
}

/** A Windows machine of tenant A (actions like scan/restrict are Windows-only in the emulator). */
export function windowsMachine(emu: Emulator, skip = 0): IDataObject {
	const machines = storeOf(emu).machines as IDataObject[];
	const list = machines.filter((m) => String(m.osPlatform).startsWith('Windows'));
	return list[skip];
}
