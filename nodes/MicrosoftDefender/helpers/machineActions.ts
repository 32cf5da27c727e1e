import type { IDataObject, IExecuteFunctions, JsonObject } from 'n8n-workflow';
import { NodeApiError, NodeOperationError, sleep } from 'n8n-workflow';

import type { DefenderContext, DefenderRequest } from '../transport';
import { defenderApiRequest, defenderApiRequestAllItems } from '../transport';
import { passOn } from './errors';
import { and, eq, or } from './odata';

/**
 * Response actions on MDE machines: submit (idempotently), wait for a final state, fetch the
 * investigation package link.
 *
 * Idempotency. Microsoft answers a duplicate request for an action that is still pending on a
 * machine in one of two ways (both documented/observed): HTTP 400 `ActiveRequestAlreadyExists`
 * ("Action is already in progress"), or 201 with the existing pending action. Duplicates were also
 * seen to create a second action that stays Pending and runs later (microsoft-365-docs#5903).
 * So, by default, we look for a Pending/InProgress action of the same type on the machine first
 * and return it flagged `alreadyPending: true` without sending the POST. When the POST still
 * answers 400 `ActiveRequestAlreadyExists` (race, or the pre-check was switched off), the pending
 * action is looked up and returned with the same flag. When the POST returns an action whose
 * comment is not ours, the API handed back the existing action: flagged too.
 *
 * POSTs are sent with `idempotent: false`: the transport never replays them after the request
 * may have reached Microsoft (a replay could queue a second isolation). Instead, after a 5xx, a
 * dropped connection or an unreadable answer, we look for the action on the machine: found →
 * returned flagged `recoveredAfterError: true`; not found → sent once more.
 */

/** One MDE API call returning the JSON body as an object. */
export async function mdeRequest(this: DefenderContext, req: Omit<DefenderRequest, 'api'>): Promise<IDataObject> {
	const body = await defenderApiRequest.call(this, { ...req, api: 'mde' });
	return (body ?? {}) as IDataObject;
}

export const FINAL_ACTION_STATUSES = ['Succeeded', 'Failed', 'TimeOut', 'Cancelled'];
export const ACTIVE_ACTION_STATUSES = ['Pending', 'InProgress'];

/** MachineAction `type` values of the response actions the node sends. */
export type MachineActionType =
	| 'Isolate'
	| 'Unisolate'
	| 'RunAntiVirusScan'
	| 'RestrictCodeExecution'
	| 'UnrestrictCodeExecution'
	| 'CollectInvestigationPackage'
	| 'StopAndQuarantineFile'
	| 'Offboard';

export interface ResponseActionRequest {
	/** Validated 40-hex machine id. */
	machineId: string;
	/** Path segment after `/api/machines/{id}/`, e.g. `isolate`, `runAntiVirusScan`. */
	endpoint: string;
	type: MachineActionType;
	/** Body with Microsoft's case-sensitive keys (`Comment`, `IsolationType`, ...). */
	body: IDataObject;
	itemIndex: number;
	operation: { resource: string; operation: string };
	/** Look for a pending action of the same type before sending (default true). */
	reusePending?: boolean;
	/** StopAndQuarantineFile: only a pending action on the same file is "the same action". */
	sha1?: string;
}

export function isFinalStatus(status: unknown): boolean {
	return typeof status === 'string' && FINAL_ACTION_STATUSES.includes(status);
}

export function isActiveStatus(status: unknown): boolean {
	return typeof status === 'string' && ACTIVE_ACTION_STATUSES.includes(status);
}

function fileOf(action: IDataObject): string | undefined {
	const info = action.relatedFileInfo as IDataObject | null | undefined;
	const id = info?.fileIdentifier;
	return typeof id === 'string' ? id.toLowerCase() : undefined;
}

function timeOf(action: IDataObject): number {
	const raw = action.creationDateTimeUtc ?? action.lastUpdateDateTimeUtc ?? action.lastUpdateTimeUtc;
	const ms = typeof raw === 'string' ? Date.parse(raw) : NaN;
	return Number.isNaN(ms) ? 0 : ms;
}

/** Newest matching action for the request among `actions` (already filtered by the API or not). */
function newestPending(actions: IDataObject[], req: Pick<ResponseActionRequest, 'machineId' | 'type' | 'sha1'>): IDataObject | undefined {
	const sha1 = req.sha1?.toLowerCase();
	const candidates = actions.filter(
		(action) =>
			action.type === req.type &&
			String(action.machineId ?? '').toLowerCase() === req.machineId.toLowerCase() &&
			isActiveStatus(action.status) &&
			(sha1 === undefined || fileOf(action) === sha1),
	);
	candidates.sort((a, b) => timeOf(b) - timeOf(a));
	return candidates[0];
}

/**
 * The pending actions of one type in one tenant, read once per node run. A bulk run (say 500
 * isolations) then costs one list call for the pre-check instead of one per item, which halves
 * the calls charged against the 100/min quota. Actions this run submits are added to the list,
 * so two items for the same machine still send only one request. An action someone else starts
 * during the run is caught by Microsoft's 400 ActiveRequestAlreadyExists, as before.
 */
const pendingByRun = new WeakMap<IExecuteFunctions, Map<string, Promise<IDataObject[]>>>();

function runCacheKey(ctx: IExecuteFunctions, req: Pick<ResponseActionRequest, 'type' | 'itemIndex'>): string {
	const tenant = ctx.getNodeParameter('requestOptions.tenantId', req.itemIndex, '') as string;
	return `${String(tenant).trim().toLowerCase()}|${req.type}`;
}

function pendingOfRun(
	this: IExecuteFunctions,
	req: Pick<ResponseActionRequest, 'type' | 'itemIndex' | 'operation'>,
): Promise<IDataObject[]> {
	let byKey = pendingByRun.get(this);
	if (!byKey) {
		byKey = new Map();
		pendingByRun.set(this, byKey);
	}
	const key = runCacheKey(this, req);
	let list = byKey.get(key);
	if (!list) {
		list = defenderApiRequestAllItems.call(
			this,
			{
				api: 'mde',
				method: 'GET',
				path: '/api/machineactions',
				qs: { $filter: and(eq('type', req.type), or(eq('status', 'Pending'), eq('status', 'InProgress'))) },
				itemIndex: req.itemIndex,
				operation: req.operation,
			},
			{ endpoint: 'mdeMachineActions' },
		);
		// A failed read is not cached: the next item asks again.
		list.catch(() => byKey?.delete(key));
		byKey.set(key, list);
	}
	return list;
}

/** Records an action this run created, so later items of the run see it as pending. */
async function rememberSubmitted(this: IExecuteFunctions, req: ResponseActionRequest, action: IDataObject) {
	const list = pendingByRun.get(this)?.get(runCacheKey(this, req));
	if (list) (await list.catch(() => [] as IDataObject[])).push(action);
}

/** Newest Pending/InProgress action of this type on the machine, or undefined. */
export async function findPendingAction(
	this: IExecuteFunctions,
	req: Pick<ResponseActionRequest, 'machineId' | 'type' | 'itemIndex' | 'operation' | 'sha1'>,
): Promise<IDataObject | undefined> {
	const filter = and(
		eq('machineId', req.machineId),
		eq('type', req.type),
		or(eq('status', 'Pending'), eq('status', 'InProgress')),
	);
	const actions = await defenderApiRequestAllItems.call(
		this,
		{
			api: 'mde',
			method: 'GET',
			path: '/api/machineactions',
			qs: { $filter: filter },
			itemIndex: req.itemIndex,
			operation: req.operation,
		},
		{ endpoint: 'mdeMachineActions', limit: 100 },
	);
	return newestPending(actions, req);
}

/** Collects the text of an error (message, description, Microsoft's body) for code matching. */
function errorText(error: unknown): string {
	if (!error || typeof error !== 'object') return String(error);
	const e = error as IDataObject & { cause?: unknown; errorResponse?: unknown };
	const parts: string[] = [];
	for (const value of [e.message, e.description, e.code]) {
		if (typeof value === 'string') parts.push(value);
	}
	for (const value of [e.cause, e.errorResponse, (e.context as IDataObject | undefined)?.data]) {
		if (value === undefined || value === null) continue;
		try {
			parts.push(typeof value === 'string' ? value : JSON.stringify(value));
		} catch {
			// circular: ignore
		}
	}
	return parts.join(' ');
}

function httpStatusOf(error: unknown): number | undefined {
	const code = (error as { httpCode?: unknown } | undefined)?.httpCode;
	const status = typeof code === 'string' ? parseInt(code, 10) : typeof code === 'number' ? code : NaN;
	return Number.isNaN(status) ? undefined : status;
}

/**
 * Whether a failed POST may still have been carried out: a 5xx, a network failure (no HTTP
 * status), or a 2xx whose body could not be read. A 4xx (including an exhausted 429) means
 * Microsoft refused it.
 */
export function isUncertainOutcome(error: unknown): boolean {
	const status = httpStatusOf(error);
	return status === undefined || status >= 500 || (status >= 200 && status < 300);
}

/** 400 `ActiveRequestAlreadyExists` / "Action is already in progress". */
export function isActionAlreadyPendingError(error: unknown): boolean {
	const status = httpStatusOf(error);
	if (status !== undefined && status !== 400) return false;
	const text = errorText(error);
	return /ActiveRequestAlreadyExists|already in progress/i.test(text);
}

export const PENDING_CHECK_SKIPPED =
	'The check for an action already pending on this machine was skipped: the app lacks Machine.Read.All (needed to list machine actions). Microsoft still refuses a duplicate while one is in progress. Grant Machine.Read.All on WindowsDefenderATP to have the pending action returned instead.';
const PENDING_LOOKUP_FORBIDDEN =
	'The node cannot look the pending action up: the app lacks Machine.Read.All (List MachineActions API). Grant Machine.Read.All on WindowsDefenderATP, or wait until the action has finished.';
const FORBIDDEN = Symbol('forbidden');
/** Runs whose pending check was refused once: later items skip it instead of asking again. */
const pendingCheckForbidden = new WeakSet<IExecuteFunctions>();

/** findPendingAction, with a 403 (no Machine.Read.All) told apart from "none pending". */
async function findPendingOrForbidden(
	this: IExecuteFunctions,
	req: Pick<ResponseActionRequest, 'machineId' | 'type' | 'itemIndex' | 'operation' | 'sha1'>,
): Promise<IDataObject | undefined | typeof FORBIDDEN> {
	try {
		return await findPendingAction.call(this, req);
	} catch (error) {
		if (httpStatusOf(error) === 403) return FORBIDDEN;
		throw passOn(this.getNode(), error, req.itemIndex);
	}
}

/**
 * Sends a response action and returns the MachineAction. Returns an existing pending action of
 * the same type flagged `alreadyPending: true` instead of creating a duplicate or failing.
 */
export async function submitMachineAction(
	this: IExecuteFunctions,
	req: ResponseActionRequest,
): Promise<IDataObject> {
	let pendingCheckSkipped = req.reusePending !== false && pendingCheckForbidden.has(this) ? PENDING_CHECK_SKIPPED : undefined;
	if (req.reusePending !== false && !pendingCheckSkipped) {
		// One item: ask about this machine only. Several: one list of the run's tenant and type.
		try {
			const existing =
				this.getInputData().length > 1
					? newestPending(await pendingOfRun.call(this, req), req)
					: await findPendingAction.call(this, req);
			if (existing) return { ...existing, alreadyPending: true };
		} catch (error) {
			// Listing machine actions needs Machine.Read.All (List MachineActions API), which an app
			// holding only the action's permission lacks. Go on without the check: Microsoft still
			// refuses a duplicate with "Action is already in progress".
			if (httpStatusOf(error) !== 403) throw passOn(this.getNode(), error, req.itemIndex);
			pendingCheckSkipped = PENDING_CHECK_SKIPPED;
			pendingCheckForbidden.add(this);
		}
	}
	const flagged = (a: IDataObject): IDataObject => (pendingCheckSkipped ? { ...a, pendingCheckSkipped } : a);

	let action: IDataObject | undefined;
	for (let attempt = 0; action === undefined; attempt++) {
		try {
			action = await mdeRequest.call(this, {
				method: 'POST',
				path: `/api/machines/${encodeURIComponent(req.machineId)}/${req.endpoint}`,
				body: req.body,
				idempotent: false,
				itemIndex: req.itemIndex,
				operation: req.operation,
			});
		} catch (error) {
			if (error instanceof NodeOperationError) throw new NodeOperationError(this.getNode(), error);
			if (isActionAlreadyPendingError(error)) {
				const existing = await findPendingOrForbidden.call(this, req);
				if (existing === FORBIDDEN) {
					const hint = `Microsoft says an action of this kind is already in progress on this machine. ${PENDING_LOOKUP_FORBIDDEN}`;
					if (error instanceof NodeApiError) error.description = hint;
					throw new NodeApiError(this.getNode(), error as JsonObject, { itemIndex: req.itemIndex, description: hint });
				}
				if (existing) return { ...existing, alreadyPending: true };
				// Busy with something we cannot see (e.g. a live response session), or the other
				// action just finished: report Microsoft's answer with a hint.
				const hint =
					'Microsoft says an action is already in progress on this machine, but no pending action of the same type was found. Another response action or a live response session may be running; retry when it has finished.';
				if (error instanceof NodeApiError) error.description = hint;
				throw new NodeApiError(this.getNode(), error as JsonObject, { itemIndex: req.itemIndex, description: hint });
			}
			if (!isUncertainOutcome(error)) {
				throw new NodeApiError(this.getNode(), error as JsonObject, { itemIndex: req.itemIndex });
			}
			// 5xx, a dropped connection or an unreadable answer: the action may or may not exist.
			// Look before anything is sent again, so a retry can never queue a second action.
			const existing = await findPendingOrForbidden.call(this, req);
			if (existing === FORBIDDEN) {
				// Cannot look without Machine.Read.All, so sending again could queue a duplicate.
				const description = `The request may or may not have reached Microsoft. ${PENDING_LOOKUP_FORBIDDEN} Check the machine's action center before running the item again.`;
				throw new NodeApiError(this.getNode(), error as JsonObject, { itemIndex: req.itemIndex, description });
			}
			if (existing) return { ...existing, recoveredAfterError: true };
			if (attempt >= 1) {
				throw new NodeApiError(this.getNode(), error as JsonObject, { itemIndex: req.itemIndex });
			}
			// No such action on the machine: sending it once more cannot create a duplicate.
		}
	}

	if (typeof action.id !== 'string' || action.id === '') {
		// A 2xx without a readable MachineAction (e.g. the connection dropped mid-answer).
		const existing = await findPendingOrForbidden.call(this, req);
		if (existing && existing !== FORBIDDEN) return { ...existing, recoveredAfterError: true };
		throw new NodeOperationError(this.getNode(), 'Microsoft accepted the request but returned no machine action', {
			itemIndex: req.itemIndex,
			description:
				'Check in the Defender portal (or with Machine Action → Get Many) whether the action was created before running the item again.',
		});
	}

	const comment = req.body.Comment;
	if (
		isActiveStatus(action.status) &&
		typeof comment === 'string' &&
		typeof action.requestorComment === 'string' &&
		action.requestorComment !== comment
	) {
		// The API returned the action that was already pending instead of creating ours.
		return flagged({ ...action, alreadyPending: true });
	}
	await rememberSubmitted.call(this, req, action);
	return flagged(action);
}

export interface WaitOptions {
	pollIntervalSeconds: number;
	timeoutSeconds: number;
	itemIndex: number;
	operation: { resource: string; operation: string };
}

export async function getMachineAction(
	this: IExecuteFunctions,
	actionId: string,
	itemIndex: number,
	operation: { resource: string; operation: string },
): Promise<IDataObject> {
	return await mdeRequest.call(this, {
		method: 'GET',
		path: `/api/machineactions/${encodeURIComponent(actionId)}`,
		itemIndex,
		operation,
	});
}

/**
 * Polls the action until it reaches a final status (Succeeded, Failed, TimeOut, Cancelled).
 * Returns the final MachineAction. When the timeout passes first, returns the last state seen
 * with `waitTimedOut: true` — not an error: the action keeps running at Microsoft, and the
 * workflow can branch on the flag (or poll again later with Machine Action → Get).
 * Flags already on `action` (e.g. `alreadyPending`) are kept.
 */
export async function waitForMachineAction(
	this: IExecuteFunctions,
	action: IDataObject,
	options: WaitOptions,
): Promise<IDataObject> {
	const flags: IDataObject = {};
	if (action.alreadyPending !== undefined) flags.alreadyPending = action.alreadyPending;
	const actionId = action.id;
	if (typeof actionId !== 'string' || actionId === '') {
		throw new NodeOperationError(this.getNode(), 'Microsoft returned a machine action without an ID', {
			itemIndex: options.itemIndex,
			description: 'Cannot wait for completion; check the action in the Microsoft Defender portal.',
		});
	}
	const intervalMs = Math.max(1, options.pollIntervalSeconds) * 1000;
	const deadline = Date.now() + Math.max(0, options.timeoutSeconds) * 1000;

	let current = action;
	while (!isFinalStatus(current.status)) {
		const remaining = deadline - Date.now();
		if (remaining <= 0) return { ...current, ...flags, waitTimedOut: true };
		await sleep(Math.min(intervalMs, remaining));
		current = await getMachineAction.call(this, actionId, options.itemIndex, options.operation);
	}
	return { ...current, ...flags };
}

/** `"https://…"` → `https://…` (one example wraps the link in literal quotes). */
export function stripQuotes(value: string): string {
	let text = value.trim();
	while (text.length >= 2 && ((text.startsWith('"') && text.endsWith('"')) || (text.startsWith("'") && text.endsWith("'")))) {
		text = text.slice(1, -1).trim();
	}
	return text;
}

/** The short-lived SAS link of a finished investigation package collection. */
export async function getInvestigationPackageUri(
	this: IExecuteFunctions,
	actionId: string,
	itemIndex: number,
	operation: { resource: string; operation: string },
): Promise<string> {
	const response = await mdeRequest.call(this, {
		method: 'GET',
		path: `/api/machineactions/${encodeURIComponent(actionId)}/getPackageUri`,
		itemIndex,
		operation,
	});
	const value = typeof response === 'string' ? response : (response as IDataObject).value;
	if (typeof value !== 'string' || stripQuotes(value) === '') {
		throw new NodeOperationError(this.getNode(), 'Microsoft returned no download link for the investigation package', {
			itemIndex,
			description: 'The package may not be ready yet. Try Machine Action → Get later, or download it from the portal.',
		});
	}
	return stripQuotes(value);
}

/** Downloads the package from its SAS link (no bearer token: the link carries its own signature). */
export async function downloadInvestigationPackage(
	this: IExecuteFunctions,
	url: string,
	itemIndex: number,
	operation: { resource: string; operation: string },
): Promise<Buffer> {
	const data = await mdeRequest.call(this, {
		method: 'GET',
		path: '',
		url,
		binary: true,
		noAuth: true,
		idempotent: true,
		itemIndex,
		operation,
	});
	return data as unknown as Buffer;
}
