/**
 * Test harness: IExecuteFunctions / IPollFunctions / ILoadOptionsFunctions over REAL HTTP, so
 * nodes run against the emulator the way n8n runs them.
 *
 *   const emu = await startEmulator({ port: 0 });
 *   const credentials = emulatorCredentials(emu, { app: 'full', tenant: 'A' });
 *   const out = await runNode(new MicrosoftDefender(), {
 *     parameters: { resource: 'machine', operation: 'get', machineId: { __rl: true, mode: 'id', value: 'abc' } },
 *     credentials,
 *   });
 *   // out: INodeExecutionData[][]; throws like n8n when the node fails and continueOnFail is off
 *
 *   await runPoll(new MicrosoftDefenderTrigger(), { parameters, credentials, staticData });  // reuse staticData
 *   createLoadOptionsContext({ parameters, credentials })   // for listSearch/loadOptions methods
 *   await testCredential(new MicrosoftDefenderEntraAppApi(), credentials)  // n8n's Test button → {status, message}
 *   capturedLogs / clearCapturedLogs()                      // every logger call (secrets scan)
 *   options: items, continueOnFail, nodeType ('…Tool' = AI agent), mode, ca (PEM for https), onRequest (observe)
 */
import type {
	ICredentialDataDecryptedObject,
	ICredentialType,
	IN8nHttpFullResponse,
	IDataObject,
	IExecuteFunctions,
	IHttpRequestOptions,
	ILoadOptionsFunctions,
	INode,
	INodeExecutionData,
	INodeProperties,
	INodeType,
	IPollFunctions,
	IBinaryData,
	WorkflowExecuteMode,
} from 'n8n-workflow';

import { binaryToBuffer } from 'n8n-core/dist/binary-data/utils';

import { CREDENTIAL_TYPES } from '../../nodes/MicrosoftDefender/helpers/credentialTypes';
import { FIXTURE } from '../emulator/core/fixture';
import { makeHttpRequestWithAuthentication, PACKAGE_CREDENTIAL_TYPES } from './auth';
import { makeHttpRequest } from './http';
import { evaluateWithScope, getNodeParameter, resolvedTopLevel, type ResolveContext } from './params';

export { evaluateExpression, evaluateWithScope } from './params';

export const PACKAGE_NAME = 'n8n-nodes-microsoft-defender';

/* ------------------------------------------------------------------ logs */

export interface CapturedLog {
	level: 'debug' | 'info' | 'warn' | 'error' | 'verbose';
	message: string;
	meta?: unknown;
}

/** Every logger call made through any harness context (for the secrets scan). */
export const capturedLogs: CapturedLog[] = [];
export function clearCapturedLogs(): void {
	capturedLogs.length = 0;
}

function makeLogger() {
	const log =
		(level: CapturedLog['level']) =>
		(message: string, meta?: unknown): void => {
			capturedLogs.push({ level, message, meta });
		};
	return {
		debug: log('debug'),
		info: log('info'),
		warn: log('warn'),
		error: log('error'),
		verbose: log('verbose'),
	};
}

/* ------------------------------------------------------------------ options */

export interface HarnessOptions {
	/** Node parameters as the user set them. Values may be `={{ … }}` expressions or functions `(i, item) => value`. */
	parameters?: IDataObject | Record<string, unknown>;
	items?: INodeExecutionData[];
	/** Credential data for `microsoftDefenderEntraAppApi` (see `emulatorCredentials`). */
	credentials?: ICredentialDataDecryptedObject | Record<string, ICredentialDataDecryptedObject>;
	continueOnFail?: boolean;
	/** Override the node type, e.g. `n8n-nodes-microsoft-defender.microsoftDefenderTool` for the AI-agent path. */
	nodeType?: string;
	/** The node's static data (`getWorkflowStaticData('node')`); mutated in place, reuse it across polls. */
	staticData?: IDataObject;
	/** `getWorkflowStaticData('global')`. */
	globalStaticData?: IDataObject;
	mode?: WorkflowExecuteMode;
	/** Node description properties used for defaults (taken from the node when using runNode/runPoll). */
	properties?: INodeProperties[];
	nodeName?: string;
	typeVersion?: number;
	/** Trust this CA (PEM) for https URLs, e.g. FIXTURE.tls.caPem for emu.httpsUrl. */
	ca?: string;
	/** Observe every helpers.httpRequest call. */
	onRequest?: (opts: IHttpRequestOptions) => void;
	/** Current node parameters for load-options contexts (defaults to `parameters`). */
	currentNodeParameters?: IDataObject;
	/**
	 * Credential types `helpers.httpRequestWithAuthentication` knows besides the package's own
	 * (n8n-core's code runs it; `oAuth2Api` children go through n8n-core's requestOAuth2).
	 */
	credentialTypes?: ICredentialType[];
}

function credentialsFor(opts: HarnessOptions, type: string): ICredentialDataDecryptedObject {
	const c = opts.credentials as Record<string, unknown> | undefined;
	if (!c) throw new Error(`Node does not have any credentials set for "${type}"`);
	if (c[type] && typeof c[type] === 'object') return c[type] as ICredentialDataDecryptedObject;
	return c as ICredentialDataDecryptedObject;
}

/** The credential types the node has: the default one, plus every `…Api` key of a credentials map. */
function credentialTypeKeys(opts: HarnessOptions): string[] {
	const c = (opts.credentials ?? {}) as Record<string, unknown>;
	const keyed = Object.keys(c).filter((k) => /Api$/.test(k) && c[k] !== null && typeof c[k] === 'object');
	return [...new Set([CREDENTIAL_TYPES.entraApp, ...keyed])];
}

function buildNode(opts: HarnessOptions, ctx: ResolveContext, typeName: string): INode {
	return {
		id: 'node-under-test',
		name: opts.nodeName ?? 'Microsoft Defender',
		type: opts.nodeType ?? `${PACKAGE_NAME}.${typeName}`,
		typeVersion: opts.typeVersion ?? 1,
		position: [0, 0],
		parameters: resolvedTopLevel(ctx) as INode['parameters'],
		credentials: Object.fromEntries(
			credentialTypeKeys(opts).map((t, i) => [t, { id: `cred-${i + 1}`, name: `Defender test credential (${t})` }]),
		),
	};
}

function base(opts: HarnessOptions, typeName = 'microsoftDefender') {
	const items: INodeExecutionData[] = opts.items ?? [{ json: {} }];
	const ctx: ResolveContext = {
		properties: opts.properties ?? [],
		parameters: (opts.parameters ?? {}) as IDataObject,
		items,
		typeVersion: opts.typeVersion ?? 1,
	};
	const node = buildNode(opts, ctx, typeName);
	const nodeStatic = opts.staticData ?? {};
	const globalStatic = opts.globalStaticData ?? {};
	const logger = makeLogger();
	const httpRequest = makeHttpRequest({ ca: opts.ca, onRequest: opts.onRequest });
	/** The context built on top of `common` (n8n-core's helpers run with it as `this`). */
	const self: { context?: unknown } = {};

	const helpers = {
		httpRequest,
		// n8n-core's own httpRequestWithAuthentication, `this` = the context (see ./auth.ts).
		httpRequestWithAuthentication: makeHttpRequestWithAuthentication(
			(): unknown => self.context ?? common,
			node,
			[...PACKAGE_CREDENTIAL_TYPES, ...(opts.credentialTypes ?? [])],
			(type) => {
				try {
					return credentialsFor(opts, type);
				} catch {
					return undefined;
				}
			},
		),
		returnJsonArray(data: IDataObject | IDataObject[]): INodeExecutionData[] {
			// n8n-core: items that already have a `json` key are not wrapped twice.
			const arr = Array.isArray(data) ? data : [data];
			return arr.map((d) =>
				d && typeof d === 'object' && d.json && typeof d.json === 'object'
					? ({ ...d, json: d.json } as INodeExecutionData)
					: { json: d },
			);
		},
		constructExecutionMetaData(
			inputData: INodeExecutionData[],
			options: { itemData: INodeExecutionData['pairedItem'] },
		): INodeExecutionData[] {
			return inputData.map((d) => {
				const { json, ...rest } = d;
				return { json, pairedItem: options.itemData, ...rest } as INodeExecutionData;
			});
		},
		async prepareBinaryData(
			input: Buffer | NodeJS.ReadableStream,
			fileName?: string,
			mimeType?: string,
		): Promise<IBinaryData> {
			// A stream is read whole, as n8n's in-memory binary mode does (n8n-core's binaryToBuffer).
			// Tests of binary behaviour use n8n-core's own helpers (test/unit/n8nBinary.helpers.ts).
			const data = Buffer.isBuffer(input) ? input : await binaryToBuffer(input as Parameters<typeof binaryToBuffer>[0]);
			const ext = fileName?.includes('.') ? fileName.split('.').pop() : undefined;
			return {
				data: data.toString('base64'),
				mimeType: mimeType ?? 'application/octet-stream',
				fileName,
				fileExtension: ext,
				fileSize: `${data.length} B`,
			} as IBinaryData;
		},
		async getBinaryDataBuffer(itemIndex: number, propertyName: string): Promise<Buffer> {
			const bin = items[itemIndex]?.binary?.[propertyName];
			if (!bin) throw new Error(`No binary data property "${propertyName}" on item ${itemIndex}`);
			return Buffer.from(bin.data, 'base64');
		},
		async binaryToBuffer(b: Buffer): Promise<Buffer> {
			return b;
		},
	};

	const common = {
		logger,
		helpers,
		getNode: () => node,
		getWorkflow: () => ({ id: 'wf-test', name: 'Harness workflow', active: false }),
		getExecutionId: () => 'exec-test',
		getMode: () => opts.mode ?? 'manual',
		getActivationMode: () => 'manual',
		getTimezone: () => 'UTC',
		getInstanceId: () => 'instance-test',
		getRestApiUrl: () => 'http://localhost:5678/rest',
		getCredentials: async (type: string) => credentialsFor(opts, type),
		getWorkflowStaticData: (type: string) => (type === 'global' ? globalStatic : nodeStatic),
		continueOnFail: () => opts.continueOnFail ?? false,
		getExecutionCancelSignal: () => undefined,
		onExecutionCancellation: () => undefined,
		sendMessageToUI: () => undefined,
		getNodeInputs: () => [{ type: 'main' }],
		getNodeOutputs: () => [{ type: 'main' }],
	};
	return { items, ctx, node, common, nodeStatic, self };
}

export function createExecuteContext(opts: HarnessOptions = {}, typeName?: string): IExecuteFunctions {
	const { items, ctx, common, self } = base(opts, typeName);
	const context = {
		...common,
		getInputData: () => items,
		getNodeParameter: (name: string, itemIndex: number, ...rest: unknown[]) =>
			(getNodeParameter as (...a: unknown[]) => unknown)(ctx, name, itemIndex, ...rest),
		evaluateExpression: () => {
			throw new Error('evaluateExpression is not supported by the harness');
		},
	};
	self.context = context;
	return context as unknown as IExecuteFunctions;
}

export function createPollContext(
	opts: HarnessOptions = {},
	typeName = 'microsoftDefenderTrigger',
): IPollFunctions & { emitted: INodeExecutionData[][][]; emittedErrors: Error[] } {
	const { ctx, common, self } = base({ mode: 'trigger', ...opts }, typeName);
	const emitted: INodeExecutionData[][][] = [];
	const emittedErrors: Error[] = [];
	const context = {
		...common,
		getMode: () => opts.mode ?? 'trigger',
		getActivationMode: () => 'activate',
		getNodeParameter: (name: string, ...rest: unknown[]) =>
			(getNodeParameter as (...a: unknown[]) => unknown)(ctx, name, 0, ...rest),
		__emit: (data: INodeExecutionData[][]) => emitted.push(data),
		__emitError: (e: Error) => emittedErrors.push(e),
		emitted,
		emittedErrors,
	};
	self.context = context;
	return context as unknown as IPollFunctions & { emitted: INodeExecutionData[][][]; emittedErrors: Error[] };
}

export function createLoadOptionsContext(opts: HarnessOptions = {}, typeName?: string): ILoadOptionsFunctions {
	const { ctx, common, self } = base(opts, typeName);
	const current = opts.currentNodeParameters ?? (opts.parameters as IDataObject) ?? {};
	const context = {
		...common,
		getNodeParameter: (name: string, ...rest: unknown[]) =>
			(getNodeParameter as (...a: unknown[]) => unknown)(ctx, name, 0, ...rest),
		getCurrentNodeParameter: (name: string) => {
			const path = name.replace(/^\//, '').split('.');
			let cur: unknown = current;
			for (const k of path) cur = (cur as IDataObject | undefined)?.[k];
			if (cur && typeof cur === 'object' && (cur as IDataObject).__rl === true) return cur;
			return cur;
		},
		getCurrentNodeParameters: () => current,
	};
	self.context = context;
	return context as unknown as ILoadOptionsFunctions;
}

/** Runs an action node's `execute` like n8n would (defaults from the node's description). */
export async function runNode(node: INodeType, opts: HarnessOptions = {}): Promise<INodeExecutionData[][]> {
	const context = createExecuteContext(
		{ properties: node.description.properties, ...opts },
		node.description.name,
	);
	if (!node.execute) throw new Error('Node has no execute()');
	const out = (await node.execute.call(context)) as INodeExecutionData[][];
	return out;
}

/** Runs a polling trigger's `poll` once; returns what it returned (null = nothing new). */
export async function runPoll(
	node: INodeType,
	opts: HarnessOptions = {},
): Promise<INodeExecutionData[][] | null> {
	const context = createPollContext(
		{ properties: node.description.properties, ...opts },
		node.description.name,
	);
	if (!node.poll) throw new Error('Node has no poll()');
	return await node.poll.call(context);
}

/* ------------------------------------------------------------------ credentials */

export type FixtureAppName = 'full' | 'readonly' | 'noroles' | 'expired';
export type FixtureTenantName = 'A' | 'B' | 'C';

export interface EmulatorLike {
	httpUrl: string;
	httpsUrl?: string;
}

export interface EmulatorCredentialOptions {
	/** A fixture app, or one a test registered itself (`emu.addApp`). */
	app?: FixtureAppName | { clientId: string; secret: string };
	tenant?: FixtureTenantName;
	auth?: 'secret' | 'certificate';
	/** Only 'custom' reaches the emulator; kept for symmetry with the credential's Cloud field. */
	cloud?: 'custom';
	/** Use emu.httpsUrl (trust FIXTURE.tls.caPem via the `ca` harness option). */
	https?: boolean;
	/** PS256 (default) or RS256 client assertions. */
	assertionAlgorithm?: 'PS256' | 'RS256';
}

/** Credential data (`microsoftDefenderEntraAppApi`) for the Custom cloud pointing at the emulator. */
export function emulatorCredentials(
	emu: EmulatorLike,
	o: EmulatorCredentialOptions = {},
): ICredentialDataDecryptedObject {
	const app = (typeof o.app === 'object' ? o.app : FIXTURE.apps[o.app ?? 'full']) as {
		clientId: string;
		secret?: string;
		certPem?: string;
		keyPem?: string;
	};
	const tenant = FIXTURE.tenants[o.tenant ?? 'A'];
	const origin = o.https ? (emu.httpsUrl ?? emu.httpUrl) : emu.httpUrl;
	const data: ICredentialDataDecryptedObject = {
		cloud: 'custom',
		customLoginUrl: origin,
		customMdeBaseUrl: origin,
		customGraphBaseUrl: origin,
		tenantId: tenant.id,
		clientId: app.clientId,
		authentication: o.auth === 'certificate' ? 'certificate' : 'clientSecret',
		clientSecret: '',
		privateKey: '',
		certificate: '',
		assertionAlgorithm: o.assertionAlgorithm ?? 'PS256',
		mdeScope: '',
		graphScope: '',
	};
	if (o.auth === 'certificate') {
		if (!app.certPem || !app.keyPem) throw new Error(`Fixture app "${app.clientId}" has no certificate`);
		data.privateKey = app.keyPem;
		data.certificate = app.certPem;
	} else {
		data.clientSecret = app.secret ?? '';
	}
	return data;
}

/* ------------------------------------------------------------------ credential test */

export interface CredentialTestResult {
	status: 'OK' | 'Error';
	message: string;
	/** The credential data after the test (with what preAuthentication stored). */
	credentials?: ICredentialDataDecryptedObject;
}

/**
 * n8n's credential test for a credential with `preAuthentication` + `authenticate` + a
 * declarative `test` (packages/cli/src/services/credentials-tester.service.ts and core's
 * httpRequestWithAuthentication): a thrown error shows its message; a non-2xx answer shows the
 * matching `responseCode` rule's message, else the HTTP status text. By default the hook always
 * runs (what n8n intends for tests); `reuseStoredToken` reproduces hosts that skip it while a
 * token is stored: then only a 401 triggers it (once), like a workflow request.
 */
export async function testCredential(
	credentialType: ICredentialType,
	data: ICredentialDataDecryptedObject,
	opts: { ca?: string; onRequest?: (o: IHttpRequestOptions) => void; reuseStoredToken?: boolean } = {},
): Promise<CredentialTestResult> {
	const httpRequest = makeHttpRequest({ ca: opts.ca, onRequest: opts.onRequest });
	// Defaults of the credential's properties, like n8n applies before testing.
	const credentials: ICredentialDataDecryptedObject = {};
	for (const p of credentialType.properties) {
		if (p.type !== 'notice' && p.default !== undefined) credentials[p.name] = p.default as never;
	}
	Object.assign(credentials, data);
	const preAuth = async (): Promise<CredentialTestResult | undefined> => {
		try {
			if (credentialType.preAuthentication) {
				const out = await credentialType.preAuthentication.call({ helpers: { httpRequest } } as never, credentials);
				Object.assign(credentials, out ?? {});
			}
		} catch (error) {
			return { status: 'Error', message: String((error as Error).message), credentials };
		}
		return undefined;
	};
	const expirable = credentialType.properties.find((p) => p.type === 'hidden' && p.typeOptions?.expirable);
	const stored = expirable ? Boolean(credentials[expirable.name]) : false;
	if (!opts.reuseStoredToken || !stored) {
		const failed = await preAuth();
		if (failed) return failed;
	}
	const test = credentialType.test;
	if (!test) return { status: 'Error', message: 'No testing function found for this credential.' };

	const send = async (): Promise<IN8nHttpFullResponse | string> => {
		const scope = { $credentials: credentials };
		const req = test.request;
		let options: IHttpRequestOptions = {
			// n8n's routing node passes the test request's own options on (redirect settings too).
			...(req as IHttpRequestOptions),
			method: req.method ?? 'GET',
			baseURL: evaluateWithScope(req.baseURL, scope) as string,
			url: evaluateWithScope(req.url ?? '', scope) as string,
			qs: req.qs,
			headers: { ...(req.headers ?? {}) } as IDataObject,
			json: true,
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
		};
		const auth = credentialType.authenticate;
		if (auth && typeof auth === 'object' && auth.type === 'generic') {
			for (const [k, v] of Object.entries(auth.properties.headers ?? {})) {
				(options.headers as IDataObject)[k] = evaluateWithScope(v, scope) as string;
			}
		} else if (typeof auth === 'function') {
			options = await auth(credentials, options);
		}
		try {
			return (await httpRequest(options)) as IN8nHttpFullResponse;
		} catch (error) {
			return String((error as { code?: string }).code ?? (error as Error).message);
		}
	};

	let res = await send();
	if (typeof res !== 'string' && res.statusCode === 401 && credentialType.preAuthentication) {
		const failed = await preAuth();
		if (failed) return failed;
		res = await send();
	}
	if (typeof res === 'string') return { status: 'Error', message: res, credentials };
	if (res.statusCode < 200 || res.statusCode > 299) {
		for (const rule of test.rules ?? []) {
			if (rule.type === 'responseCode' && rule.properties.value === res.statusCode) {
				return { status: 'Error', message: rule.properties.message, credentials };
			}
		}
		return { status: 'Error', message: res.statusMessage || `Received HTTP status code: ${res.statusCode}`, credentials };
	}
	return { status: 'OK', message: 'Connection successful!', credentials };
}
