/**
 * MDE Live Response: runliveresponse (a machine action with per-command results), result
 * download links (SAS-like, streamed), and the live response library (list, multipart upload,
 * delete). Facts and assumptions: see ../data/liveResponse.ts.
 */
import { ApiError, type ApiRequest, type RouteImpl } from '../types';
import type { DefenderStore } from '../data/store';
import { COMMAND_ORDER, LR_LIMITS, deviceFileStream, type LiveCommandInput } from '../data/liveResponse';
import { ctxUrl, guard, notFound, ok } from './common';

const REQUIRED_PARAMS: Record<string, string[]> = { PutFile: ['FileName'], RunScript: ['ScriptName'], GetFile: ['Path'] };
const LR_PLATFORMS = /^(Windows|macOS|Linux)/i;

function parseCommands(body: unknown): LiveCommandInput[] {
	const b = (body ?? {}) as Record<string, unknown>;
	if (typeof body !== 'object' || body === null || Array.isArray(body))
		throw new ApiError(400, 'InvalidRequestBody', 'Request body is missing or is not a JSON object.');
	if (!('Commands' in b)) {
		const wrong = Object.keys(b).find((k) => k.toLowerCase() === 'commands');
		if (wrong) throw new ApiError(400, 'InvalidRequestBody', `Request body is invalid: unknown parameter '${wrong}' (parameter names are case-sensitive; expected 'Commands').`);
		throw new ApiError(400, 'MissingRequiredParameter', "Missing required parameter 'Commands'.");
	}
	const raw = b.Commands;
	if (!Array.isArray(raw) || raw.length === 0) throw new ApiError(400, 'InvalidRequestBody', "Parameter 'Commands' must be a non-empty array.");
	let last = 0;
	return raw.map((c, i) => {
		const cmd = (c ?? {}) as Record<string, unknown>;
		const type = cmd.type;
		if (typeof type !== 'string' || !COMMAND_ORDER.includes(type))
			throw new ApiError(400, 'InvalidRequestBody', `Command ${i}: invalid type '${String(type)}'. Allowed values: ${COMMAND_ORDER.join(', ')}.`);
		const order = COMMAND_ORDER.indexOf(type);
		if (order < last)
			throw new ApiError(400, 'InvalidRequestBody', `Command ${i}: ${type} after ${COMMAND_ORDER[last]}. Commands must be in the order PutFile, RunScript, GetFile.`);
		last = order;
		const params = Array.isArray(cmd.params) ? cmd.params : [];
		const list = params.map((p) => {
			const pp = (p ?? {}) as Record<string, unknown>;
			if (typeof pp.key !== 'string' || typeof pp.value !== 'string')
				throw new ApiError(400, 'InvalidRequestBody', `Command ${i}: every parameter needs a string key and value.`);
			return { key: pp.key, value: pp.value };
		});
		for (const key of REQUIRED_PARAMS[type]) {
			const v = list.find((p) => p.key === key)?.value;
			if (!v) throw new ApiError(400, 'MissingRequiredParameter', `Command ${i} (${type}): missing required parameter '${key}'.`);
		}
		return { type, params: list };
	});
}

/** Minimal multipart/form-data reader: field name → {value, filename}. */
export function parseMultipart(req: ApiRequest): Map<string, { data: Buffer; filename?: string }> {
	const ct = req.headers['content-type'] ?? '';
	const m = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(ct);
	if (!m || !req.rawBody) throw new ApiError(400, 'InvalidRequestBody', 'Expected a multipart/form-data body with a boundary.');
	const boundary = Buffer.from(`--${(m[1] ?? m[2]).trim()}`);
	const body = req.rawBody;
	const out = new Map<string, { data: Buffer; filename?: string }>();
	let pos = body.indexOf(boundary);
	while (pos !== -1) {
		const start = pos + boundary.length;
		if (body.subarray(start, start + 2).toString() === '--') break;
		const headerEnd = body.indexOf('\r\n\r\n', start);
		if (headerEnd === -1) break;
		const next = body.indexOf(boundary, headerEnd + 4);
		if (next === -1) break;
		const head = body.subarray(start, headerEnd).toString('utf8');
		const data = body.subarray(headerEnd + 4, next - 2); // strip the CRLF before the boundary
		const name = /name="([^"]*)"/i.exec(head)?.[1];
		const filename = /filename="([^"]*)"/i.exec(head)?.[1];
		if (name !== undefined) out.set(name.toLowerCase(), { data, filename });
		pos = next;
	}
	return out;
}

function fieldText(parts: Map<string, { data: Buffer }>, name: string): string | undefined {
	const p = parts.get(name.toLowerCase());
	return p ? p.data.toString('utf8') : undefined;
}

/** Permissions and quota buckets come from the contract rows (../contract.ts). */
export const liveResponseRoutes: RouteImpl<DefenderStore>[] = [
	{
		method: 'POST',
		path: '/api/machines/:id/runliveresponse',
		api: 'mde',
		handler: guard('mde', (req, store) => {
			const m = store.getMachine(req.params.id);
			if (!m) notFound('mde', 'Machine', req.params.id);
			const commands = parseCommands(req.body);
			const c = (req.body as Record<string, unknown>).Comment;
			if (c !== undefined && typeof c !== 'string') throw new ApiError(400, 'InvalidRequestBody', "Parameter 'Comment' must be a string.");
			if (!LR_PLATFORMS.test(m.osPlatform))
				throw new ApiError(400, 'OsPlatformNotSupported', `Live response is not supported for OS platform ${m.osPlatform}.`);
			if (store.machineState(m.id).offboarded) throw new ApiError(400, 'InvalidInput', `Machine ${m.id} is offboarded.`);
			const running = store.actions.filter((a) => a.type === 'LiveResponse' && !store.isFinal(a)).length;
			if (running >= store.liveResponse.maxSessions)
				throw new ApiError(429, 'TooManyRequests', `Too many concurrently running live response sessions (limit ${store.liveResponse.maxSessions}).`);
			const { action, duplicate } = store.createAction(m, 'LiveResponse', {
				comment: typeof c === 'string' ? c : '',
				requestor: req.auth.appId,
				title: `Live response on ${m.computerDnsName}`,
			});
			// run-live-response.md: a second session on the same machine is always refused.
			if (duplicate) throw new ApiError(400, 'ActiveRequestAlreadyExists', 'Action is already in progress');
			const failedAt = store.liveResponse.plan(action, m, commands);
			if (failedAt !== undefined && action.timing.outcome !== 'TimeOut') action.timing = { ...action.timing, outcome: 'Failed' };
			return ok({ '@odata.context': ctxUrl(req, 'mde', 'MachineActions/$entity'), ...store.toMachineAction(action) }, 201);
		}),
	},
	{
		method: 'GET',
		path: '/api/machineactions/:id/GetLiveResponseResultDownloadLink(index=:index)',
		api: 'mde',
		handler: guard('mde', (req, store) => {
			if (!/^\d+$/.test(req.params.index)) throw new ApiError(400, 'InvalidInput', `Invalid command index '${req.params.index}'.`);
			const index = Number(req.params.index);
			const a = store.getMachineAction(req.params.id);
			if (!a) notFound('mde', 'Machine action', req.params.id);
			if (a.type !== 'LiveResponse') throw new ApiError(400, 'InvalidInput', `Machine action ${a.id} is not a live response action.`);
			const r = store.liveResponse.result(a.id, index);
			if (!r) throw new ApiError(404, 'ResourceNotFound', `Machine action ${a.id} has no command with index ${index}.`);
			const cmd = store.toMachineAction(a).commands[index] as { commandStatus: string };
			if (cmd.commandStatus !== 'Completed' || !r.result)
				throw new ApiError(404, 'ResourceNotFound', `No result for command ${index} of action ${a.id} (status ${cmd.commandStatus}; PutFile has no result).`);
			const se = new Date(store.now() + LR_LIMITS.linkValidityMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
			const url = `${req.origin}/_files/${store.tenantId}/liveresponse/${a.id}/${index}?sv=2019-07-07&se=${encodeURIComponent(se)}&sr=b&sp=r&sig=${encodeURIComponent(store.liveResponse.sig(a.id, index, se))}`;
			return ok({ '@odata.context': ctxUrl(req, 'mde', 'Edm.String'), value: url });
		}),
	},
	{
		method: 'GET',
		path: '/_files/:tenant/liveresponse/:action/:index',
		api: 'mde',
		public: true,
		handler: (req, store) => {
			const index = Number(req.params.index);
			const se = req.query.se ?? '';
			const xml = (code: string, msg: string) =>
				`<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${msg}</Message></Error>`;
			const r = store.liveResponse.result(req.params.action, index);
			if (!r?.result || !se || req.query.sig !== store.liveResponse.sig(req.params.action, index, se))
				return { status: 403, contentType: 'application/xml', raw: xml('AuthenticationFailed', 'Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.') };
			if (Date.parse(se) < store.now())
				return { status: 403, contentType: 'application/xml', raw: xml('AuthenticationFailed', 'Signed expiry time must be after signed start time / the SAS has expired.') };
			const res = r.result;
			if (res.kind === 'script') return { status: 200, contentType: 'application/json', raw: JSON.stringify(res.transcript) };
			// Assumption (undocumented): the raw file, no content-disposition.
			return {
				status: 200,
				contentType: 'application/octet-stream',
				headers: { 'content-length': String(res.size), 'x-ms-blob-type': 'BlockBlob' },
				stream: () => deviceFileStream(res.path, res.size, res.content),
			};
		},
	},
	{
		method: 'GET',
		path: '/api/libraryfiles',
		api: 'mde',
		handler: guard('mde', (req, store) =>
			ok({
				'@odata.context': ctxUrl(req, 'mde', 'LibraryFiles'),
				value: [...store.liveResponse.library.values()].map((f) => store.liveResponse.toLibraryFile(f)),
			}),
		),
	},
	{
		method: 'POST',
		path: '/api/libraryfiles',
		api: 'mde',
		handler: guard('mde', (req, store) => {
			const parts = parseMultipart(req);
			const file = parts.get('file');
			if (!file || !file.filename) throw new ApiError(400, 'InvalidRequestBody', "Missing required form field 'File'.");
			if (!/^[A-Za-z0-9._-]+$/.test(file.filename))
				throw new ApiError(400, 'InvalidRequestBody', `Invalid file name '${file.filename}': use letters, digits, '-', '_' and '.'.`);
			if (file.data.length > LR_LIMITS.libraryUploadBytes)
				throw new ApiError(400, 'InvalidRequestBody', `File '${file.filename}' is ${file.data.length} bytes; the maximum size is 20MB.`);
			const override = /^true$/i.test(fieldText(parts, 'OverrideIfExists') ?? '');
			const parametersDescription = fieldText(parts, 'ParametersDescription');
			const has = fieldText(parts, 'HasParameters');
			const { file: saved, exists } = store.liveResponse.uploadLibraryFile({
				fileName: file.filename,
				content: Buffer.from(file.data),
				description: fieldText(parts, 'Description') ?? null,
				parametersDescription: parametersDescription || null,
				hasParameters: has !== undefined ? /^true$/i.test(has) : !!parametersDescription,
				override,
				createdBy: req.auth.appId,
			});
			if (exists) throw new ApiError(400, 'FileAlreadyExists', `File '${file.filename}' already exists in the library. Set OverrideIfExists to replace it.`);
			return ok({ '@odata.context': ctxUrl(req, 'mde', 'LibraryFiles/$entity'), ...store.liveResponse.toLibraryFile(saved!) });
		}),
	},
	{
		method: 'DELETE',
		path: '/api/libraryfiles/:fileName',
		api: 'mde',
		handler: guard('mde', (req, store) => {
			if (!store.liveResponse.deleteLibraryFile(req.params.fileName))
				throw new ApiError(404, 'ResourceNotFound', `File ${req.params.fileName} was not found in the library`);
			return { status: 204 };
		}),
	},
];

