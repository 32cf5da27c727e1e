/**
 * Azure Storage REST (Queue and Blob) over n8n's `helpers.httpRequest`, for the streaming-export
 * trigger: Entra tokens for the storage audience from the package's token service (same app
 * registration as the Defender APIs), or Shared Key, or a SAS token. Retries 429/5xx and
 * connection failures with backoff (Retry-After when sent); one fresh token after a 401.
 * Errors never carry the key, the SAS or the token.
 */
import type {
	IDataObject,
	IHttpRequestMethods,
	IHttpRequestOptions,
	IPollFunctions,
	JsonObject,
} from 'n8n-workflow';
import { NodeApiError, NodeOperationError, sleep } from 'n8n-workflow';

import { NETWORK_REASONS } from '../helpers/errors';
import {
	STORAGE_API_VERSION,
	StreamConfigError,
	checkAccountKey,
	normalizeSas,
	sharedKeyAuthorization,
	storageEndpoints,
	storageErrorCode,
	type StorageEndpoints,
} from '../helpers/streamExport';
import { CREDENTIAL_TYPES } from '../helpers/credentialTypes';
import {
	credentialFingerprint,
	TokenError,
	tokenTarget,
	type DefenderCredentialData,
	type TokenTarget,
} from '../helpers/token';
import { retryAfterMs } from './retries';
import { getAccessToken, invalidateToken } from './token';

/** Knobs for tests and benchmarks. */
export const storageTuning = { baseBackoffMs: 500, maxRetries: 5, maxWaitMs: 30000 };

type Auth =
	| { kind: 'entra'; credentials: DefenderCredentialData; target: TokenTarget }
	| { kind: 'sharedKey'; key: string }
	| { kind: 'sas'; token: string };

export interface StorageConnection {
	endpoints: StorageEndpoints;
	auth: Auth;
}

export interface StorageRequest {
	service: 'blob' | 'queue';
	method: IHttpRequestMethods;
	/** Path below the endpoint, already encoded ('/myqueue/messages'). */
	path: string;
	query?: Record<string, string>;
	headers?: Record<string, string>;
	body?: string;
	/** Statuses returned instead of thrown (e.g. 404 for a deleted message). */
	accept?: number[];
	/** What the call does, for error messages ("reading blob …"). */
	what: string;
}

export interface StorageResponse {
	status: number;
	headers: IDataObject;
	body: Buffer;
}

/** What the storage client needs of n8n's poll context. */
export type StorageContext = Pick<
	IPollFunctions,
	'getNode' | 'getNodeParameter' | 'getCredentials' | 'helpers' | 'logger'
>;
type Ctx = StorageContext;

function configError(ctx: Ctx, e: unknown): Error {
	if (e instanceof StreamConfigError)
		return new NodeOperationError(ctx.getNode(), e.message, { description: e.description });
	if (e instanceof TokenError)
		return new NodeOperationError(ctx.getNode(), e.explanation.message, {
			description: e.explanation.description,
		});
	return e as Error;
}

/** Endpoints and authentication from the node's parameters and credential. */
export async function resolveStorageConnection(ctx: Ctx): Promise<StorageConnection> {
	const authentication = ctx.getNodeParameter('authentication', 'entraApp') as string;
	const opts = (ctx.getNodeParameter('options', {}) ?? {}) as IDataObject;
	try {
		const endpoints = storageEndpoints({
			account: ctx.getNodeParameter('storageAccount', '') as string,
			cloud: ctx.getNodeParameter('storageCloud', 'global') as string,
			blobEndpoint: ctx.getNodeParameter('blobEndpoint', '') as string,
			queueEndpoint: ctx.getNodeParameter('queueEndpoint', '') as string,
			scope: typeof opts.storageScope === 'string' ? opts.storageScope : undefined,
		});
		if (authentication === 'entraApp') {
			const credentials = (await ctx.getCredentials(CREDENTIAL_TYPES.entraApp)) as DefenderCredentialData;
			const base = tokenTarget(credentials, 'mde');
			const target: TokenTarget = {
				...base,
				scope: endpoints.scope,
				cacheKey: [
					base.endpoints.authority,
					base.tenant.toLowerCase(),
					base.clientId.toLowerCase(),
					credentialFingerprint(credentials),
					endpoints.scope,
				].join('|'),
			};
			return { endpoints, auth: { kind: 'entra', credentials, target } };
		}
		const c = (await ctx.getCredentials(CREDENTIAL_TYPES.storage)) as IDataObject;
		if (c.authentication !== 'accountKey') {
			const sas = normalizeSas(String(c.sasToken ?? ''));
			if (!sas.token)
				throw new StreamConfigError(
					sas.problem!,
					'Create a SAS with read on blobs and process (p) on queue messages, or use the account key.',
				);
			return { endpoints, auth: { kind: 'sas', token: sas.token } };
		}
		const problem = checkAccountKey(String(c.accountKeySecret ?? ''));
		if (problem) throw new StreamConfigError(problem, 'Paste key1 or key2 of the storage account.');
		return { endpoints, auth: { kind: 'sharedKey', key: String(c.accountKeySecret).trim() } };
	} catch (e) {
		throw configError(ctx, e);
	}
}

function header(h: IDataObject, name: string): string | undefined {
	const k = Object.keys(h).find((x) => x.toLowerCase() === name);
	return k === undefined || h[k] === undefined || h[k] === null ? undefined : String(h[k]);
}

export function responseHeader(res: StorageResponse, name: string): string | undefined {
	return header(res.headers, name.toLowerCase());
}

const RETRYABLE = new Set([408, 429, 500, 502, 503, 504]);

function backoff(retry: number, asked?: number): number {
	if (asked !== undefined) return Math.min(asked, storageTuning.maxWaitMs);
	return (
		Math.min(storageTuning.maxWaitMs, storageTuning.baseBackoffMs * 2 ** (retry - 1)) *
		(0.5 + Math.random() / 2)
	);
}

/** What to tell the user for a storage error status/code. */
export function explainStorageError(
	status: number,
	code: string | undefined,
	auth: Auth['kind'],
	what: string,
	account: string,
): { message: string; description: string } {
	const c = code ? ` (${code})` : '';
	if (status === 403 && code === 'AuthorizationPermissionMismatch') {
		return {
			message: `Azure Storage refused ${what}: the app lacks a data role${c}`,
			description: `Assign the app registration "Storage Queue Data Message Processor" and "Storage Blob Data Reader" on the storage account ${account} (Access control (IAM) → Add role assignment); moving poison messages also needs "Storage Queue Data Message Sender". Role assignments take up to 10 minutes to apply.`,
		};
	}
	if (status === 403 && code === 'AuthorizationFailure') {
		return {
			message: `Azure Storage refused ${what}${c}`,
			description: `The storage account's firewall or network rules block n8n, or the SAS lacks a permission. Allow n8n's outbound IP under Networking, or check the SAS permissions.`,
		};
	}
	if (status === 403 || status === 401) {
		const fix =
			auth === 'sharedKey'
				? 'Check the account name and paste key1 or key2 again (Access keys).'
				: auth === 'sas'
					? 'The SAS token is wrong, expired, or lacks read (blobs) / process (queue messages) permission; generate a new one.'
					: 'Check that the credential is for the tenant that holds the storage account and that shared-key-only access is not enforced.';
		return {
			message: `Azure Storage rejected the authentication for ${what}${c}`,
			description: fix,
		};
	}
	if (status === 404 && (code === 'QueueNotFound' || code === 'ContainerNotFound')) {
		return {
			message: `Azure Storage: ${code === 'QueueNotFound' ? 'the queue' : 'the container'} does not exist (${what})`,
			description:
				'Check the queue name and that the Event Grid subscription delivers to this storage account.',
		};
	}
	return {
		message: `Azure Storage answered HTTP ${status} to ${what}${c}`,
		description: 'Try again later; if it persists, check the storage account in the Azure portal.',
	};
}

/** The request URL: endpoint, path, query and (for SAS) the SAS parameters. */
function storageUrl(conn: StorageConnection, req: StorageRequest): string {
	const base = req.service === 'blob' ? conn.endpoints.blob : conn.endpoints.queue;
	const query = new URLSearchParams(req.query ?? {});
	if (conn.auth.kind === 'sas')
		for (const [k, v] of new URLSearchParams(conn.auth.token)) query.append(k, v);
	const qs = query.toString();
	return `${base}${req.path}${qs ? `?${qs}` : ''}`;
}

/** An Entra token for the storage audience, or the explained token problem. */
async function storageToken(ctx: Ctx, auth: Extract<Auth, { kind: 'entra' }>): Promise<string> {
	let token = '';
	let problem = { message: 'Could not get an access token for Azure Storage', description: '' };
	try {
		token = await getAccessToken(ctx as never, auth.credentials, auth.target, { maxWaitMs: storageTuning.maxWaitMs });
	} catch (e) {
		if (e instanceof TokenError) problem = e.explanation;
	}
	if (!token) {
		throw new NodeApiError(ctx.getNode(), { message: problem.message } as JsonObject, {
			message: problem.message,
			description: problem.description,
		});
	}
	return token;
}

/** Headers of one attempt, signed (Shared Key) or with the bearer token (Entra). */
async function signedHeaders(ctx: Ctx, conn: StorageConnection, req: StorageRequest, url: string): Promise<{ headers: Record<string, string>; token: string }> {
	const headers: Record<string, string> = {
		'x-ms-version': STORAGE_API_VERSION,
		'x-ms-date': new Date().toUTCString(),
		...(req.headers ?? {}),
	};
	if (req.body !== undefined) headers['Content-Type'] = 'application/xml; charset=utf-8';
	let token = '';
	if (conn.auth.kind === 'entra') {
		token = await storageToken(ctx, conn.auth);
		headers.Authorization = `Bearer ${token}`;
	} else if (conn.auth.kind === 'sharedKey') {
		headers.Authorization = sharedKeyAuthorization(conn.endpoints.account, conn.auth.key, {
			method: req.method,
			url,
			headers,
			contentLength: req.body !== undefined ? Buffer.byteLength(req.body, 'utf8') : 0,
		});
	}
	return { headers, token };
}

type StorageAnswer = { statusCode: number; headers: IDataObject; body: unknown };

/** Sends one attempt: the answer, or the network error code when there was none. */
async function sendStorage(ctx: Ctx, req: StorageRequest, url: string, headers: Record<string, string>): Promise<{ res?: StorageAnswer; networkCode: string }> {
	const options: IHttpRequestOptions = {
		method: req.method,
		url,
		headers,
		encoding: 'arraybuffer',
		json: false,
		returnFullResponse: true,
		ignoreHttpStatusErrors: true,
		timeout: 120000,
		// The token, the SAS or the signature must not follow a redirect to another host.
		disableFollowRedirect: true,
		sendCredentialsOnCrossOriginRedirect: false,
	};
	if (req.body !== undefined) options.body = req.body;
	try {
		return { res: (await ctx.helpers.httpRequest(options)) as StorageAnswer, networkCode: '' };
	} catch (error) {
		// Never pass the raw error on: its config holds the Authorization header or the SAS.
		const e = error as { code?: unknown; response?: { status?: number; data?: unknown; headers?: IDataObject } };
		if (e?.response?.status) {
			return { res: { statusCode: e.response.status, headers: e.response.headers ?? {}, body: e.response.data }, networkCode: '' };
		}
		return { networkCode: String(e?.code ?? 'ECONNRESET') };
	}
}

function bodyBuffer(b: unknown): Buffer {
	if (Buffer.isBuffer(b)) return b;
	if (b instanceof ArrayBuffer) return Buffer.from(b);
	return Buffer.from(typeof b === 'string' ? b : b === undefined || b === null ? '' : JSON.stringify(b));
}

/** One Storage REST call with auth, retries and explained errors. */
export async function storageRequest(
	ctx: Ctx,
	conn: StorageConnection,
	req: StorageRequest,
): Promise<StorageResponse> {
	const node = ctx.getNode();
	const url = storageUrl(conn, req);
	let retries = 0;
	let refreshed = false;
	for (;;) {
		const { headers, token } = await signedHeaders(ctx, conn, req, url);
		const { res, networkCode } = await sendStorage(ctx, req, url, headers);
		if (!res) {
			if (retries < storageTuning.maxRetries) {
				retries++;
				await sleep(backoff(retries));
				continue;
			}
			const reason = NETWORK_REASONS[networkCode] ?? 'network error';
			throw new NodeApiError(node, { message: reason } as JsonObject, {
				message: `Could not reach Azure Storage while ${req.what} (${reason}) after ${retries} retries`,
				description:
					'Check that n8n can reach the storage account (firewall, proxy, DNS) and the account name and endpoints.',
			});
		}
		const body = bodyBuffer(res.body);
		const status = res.statusCode;
		if ((status >= 200 && status < 300) || req.accept?.includes(status))
			return { status, headers: res.headers ?? {}, body };
		const code =
			header(res.headers ?? {}, 'x-ms-error-code') ??
			(status >= 400 ? storageErrorCode(body.toString('utf8')) : undefined);
		// An expired or revoked token: 401 InvalidAuthenticationInfo, or 403 AuthenticationFailed ("Azure Storage error codes").
		const tokenRefused =
			status === 401 ||
			(status === 403 && (code === 'AuthenticationFailed' || code === 'InvalidAuthenticationInfo'));
		if (tokenRefused && conn.auth.kind === 'entra' && !refreshed) {
			refreshed = true;
			invalidateToken(conn.auth.target, token);
			continue;
		}
		if (RETRYABLE.has(status) && retries < storageTuning.maxRetries) {
			retries++;
			const wait = backoff(retries, retryAfterMs(res.headers ?? {}));
			ctx.logger?.debug?.(
				`Microsoft Defender Stream: storage answered ${status}, retry ${retries} in ${Math.round(wait)} ms`,
			);
			await sleep(wait);
			continue;
		}
		const ex = explainStorageError(status, code, conn.auth.kind, req.what, conn.endpoints.account);
		throw new NodeApiError(node, { message: ex.message, code: code ?? '' } as JsonObject, {
			message: ex.message,
			description: ex.description,
			httpCode: String(status),
		});
	}
}

/** Encodes a blob path for a URL, keeping its "/" separators. */
export function encodeBlobPath(container: string, blob: string): string {
	return `/${encodeURIComponent(container)}/${blob.split('/').map(encodeURIComponent).join('/')}`;
}
