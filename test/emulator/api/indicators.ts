/** MDE indicators (custom IoCs): submit-or-update, list, delete, import, batch delete. */
import { ApiError, type ApiRequest, type RouteImpl } from '../types';
import { type IndicatorRecord, canonTime, iso7 } from '../data/model';
import type { DefenderStore } from '../data/store';
import { ctxUrl, guard, ok, pageList } from './common';
import { indicatorSpec } from './specs';

const TYPES = ['FileSha1', 'FileSha256', 'FileMd5', 'CertificateThumbprint', 'IpAddress', 'DomainName', 'Url'];
const ACTIONS = ['Allowed', 'Audit', 'Warn', 'Block', 'BlockAndRemediate', 'Alert', 'AlertAndBlock', 'BlockAndRemediate'];
const SEVERITIES = ['Informational', 'Low', 'Medium', 'High'];
export const MAX_ACTIVE_INDICATORS = 15000;

/** With only Ti.ReadWrite an app sees and deletes only the indicators it created. */
function visible(req: ApiRequest, i: IndicatorRecord): boolean {
	return req.auth.roles.includes('Ti.ReadWrite.All') || req.auth.roles.length === 0 || i.createdBy === req.auth.appId;
}

function validateValue(type: string, value: string): void {
	const hex = (n: number) => new RegExp(`^[0-9a-fA-F]{${n}}$`).test(value);
	switch (type) {
		case 'FileSha1':
		case 'CertificateThumbprint':
			if (!hex(40)) throw new ApiError(400, 'InvalidHashValue', `The value '${value}' is not a valid SHA-1 hash.`);
			return;
		case 'FileSha256':
			if (!hex(64)) throw new ApiError(400, 'InvalidHashValue', `The value '${value}' is not a valid SHA-256 hash.`);
			return;
		case 'FileMd5':
			if (!hex(32)) throw new ApiError(400, 'InvalidHashValue', `The value '${value}' is not a valid MD5 hash.`);
			return;
		case 'IpAddress': {
			const v4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/.test(value);
			const v6 = /^[0-9a-fA-F:]+$/.test(value) && value.includes(':');
			if (!v4 && !v6) throw new ApiError(400, 'InvalidIpAddress', `The value '${value}' is not a valid IP address (CIDR ranges are not supported).`);
			return;
		}
		case 'DomainName':
			if (!/^(?=.{1,253}$)([a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]{2,63}$/.test(value))
				throw new ApiError(400, 'InvalidDomainName', `The value '${value}' is not a valid domain name.`);
			return;
		case 'Url':
			if (!/^(https?:\/\/)?[^\s/$.?#][^\s]*\.[^\s]+$/i.test(value)) throw new ApiError(400, 'InvalidUrl', `The value '${value}' is not a valid URL.`);
			return;
	}
}

function str(b: Record<string, unknown>, k: string, required: boolean): string | undefined {
	const v = b[k];
	if (v === undefined || v === null) {
		if (!required) return undefined;
		const wrong = Object.keys(b).find((x) => x.toLowerCase() === k.toLowerCase());
		if (wrong) throw new ApiError(400, 'InvalidRequestBody', `Request body is invalid: unknown parameter '${wrong}' (expected '${k}').`);
		throw new ApiError(400, 'MissingRequiredParameter', `Missing required parameter '${k}'.`);
	}
	if (typeof v !== 'string') throw new ApiError(400, 'InvalidRequestBody', `Parameter '${k}' must be a string.`);
	if (required && v.trim() === '') throw new ApiError(400, 'MissingRequiredParameter', `Missing required parameter '${k}'.`);
	return v;
}

/** Create or update (match key: indicatorType + indicatorValue, case-insensitive value [inf]). */
export function submitIndicator(req: ApiRequest, store: DefenderStore, body: unknown): IndicatorRecord {
	if (!body || typeof body !== 'object' || Array.isArray(body)) throw new ApiError(400, 'InvalidRequestBody', 'Request body is missing or is not a JSON object.');
	const b = body as Record<string, unknown>;
	const indicatorValue = str(b, 'indicatorValue', true)!;
	const indicatorType = str(b, 'indicatorType', true)!;
	const action = str(b, 'action', true)!;
	const title = str(b, 'title', true)!;
	const description = str(b, 'description', true)!;
	if (!TYPES.includes(indicatorType)) throw new ApiError(400, 'InvalidInput', `Invalid indicatorType '${indicatorType}'. Allowed: ${TYPES.join(', ')}.`);
	if (!ACTIONS.includes(action)) throw new ApiError(400, 'InvalidInput', `Invalid action '${action}'. Allowed: Allowed, Audit, Warn, Block, BlockAndRemediate.`);
	validateValue(indicatorType, indicatorValue);
	const severity = str(b, 'severity', false);
	if (severity !== undefined && !SEVERITIES.includes(severity)) throw new ApiError(400, 'InvalidInput', `Invalid severity '${severity}'.`);
	const expiration = str(b, 'expirationTime', false);
	const expCanon = expiration !== undefined ? canonTime(expiration) : undefined;
	if (expiration !== undefined && !expCanon) throw new ApiError(400, 'InvalidInput', `Invalid expirationTime '${expiration}'.`);
	const generateAlert = b.generateAlert === undefined ? action === 'Audit' : b.generateAlert;
	if (typeof generateAlert !== 'boolean') throw new ApiError(400, 'InvalidRequestBody', "Parameter 'generateAlert' must be a boolean.");
	if (action === 'Audit' && !generateAlert) throw new ApiError(400, 'InvalidInput', "generateAlert must be true when action is 'Audit'.");
	let groups: string[] = [];
	if (b.rbacGroupNames !== undefined && b.rbacGroupNames !== null) {
		if (Array.isArray(b.rbacGroupNames)) groups = b.rbacGroupNames.map(String);
		else if (typeof b.rbacGroupNames === 'string') groups = b.rbacGroupNames.split(',').map((s) => s.trim()).filter(Boolean);
		else throw new ApiError(400, 'InvalidRequestBody', "Parameter 'rbacGroupNames' must be an array of strings.");
	}
	const now = iso7(store.now());
	const existing = store.findIndicator(indicatorValue, indicatorType);
	if (existing && !visible(req, existing)) throw new ApiError(403, 'Forbidden', `Indicator ${existing.id} was created by another application; Ti.ReadWrite.All is required to update it.`);
	const fields = {
		action,
		title,
		description,
		severity: severity ?? existing?.severity ?? 'Informational',
		expirationTime: expCanon ?? existing?.expirationTime ?? null,
		recommendedActions: str(b, 'recommendedActions', false) ?? existing?.recommendedActions ?? null,
		rbacGroupNames: groups,
		rbacGroupIds: groups.map((g) => 100 + (g.length % 10)),
		generateAlert,
		educateUrl: str(b, 'educateUrl', false) ?? null,
		lastUpdateTime: now,
		lastUpdatedBy: req.auth.appId,
	};
	if (existing) {
		Object.assign(existing, fields);
		store.bump();
		return existing;
	}
	if (store.indicators.length >= MAX_ACTIVE_INDICATORS)
		throw new ApiError(400, 'BadRequest', `The tenant has reached the maximum of ${MAX_ACTIVE_INDICATORS} active indicators.`);
	const rec: IndicatorRecord = {
		id: store.newIndicatorId(),
		indicatorValue,
		indicatorType,
		application: str(b, 'application', false) ?? null,
		...fields,
		createdBy: req.auth.appId,
		createdByDisplayName: `App ${req.auth.appId.slice(0, 8)}`,
		createdBySource: 'PublicApi',
		creationTimeDateTimeUtc: now,
		sourceType: 'AadApp',
		source: `App ${req.auth.appId.slice(0, 8)}`,
		externalID: str(b, 'externalID', false) ?? null,
	};
	store.indicators.push(rec);
	store.bump();
	return rec;
}

export const indicatorRoutes: RouteImpl<DefenderStore>[] = [
	{
		method: 'GET',
		path: '/api/indicators',
		api: 'mde',
		handler: guard('mde', (req, store) =>
			pageList(req, {
				family: 'mde',
				base: store.indicators.filter((i) => visible(req, i)),
				spec: indicatorSpec,
				cacheName: `indicators:${req.auth.appId}`,
				store,
				project: (i) => ({ ...i }),
				context: 'Indicators',
				maxTop: 10000,
				overTop: 'error',
				defaultPage: 10000,
				nextLink: 'noTop',
			}),
		),
	},
	{
		method: 'POST',
		path: '/api/indicators',
		api: 'mde',
		handler: guard('mde', (req, store) => ok({ '@odata.context': ctxUrl(req, 'mde', 'Indicators/$entity'), ...submitIndicator(req, store, req.body) })),
	},
	{
		method: 'DELETE',
		path: '/api/indicators/:id',
		api: 'mde',
		handler: guard('mde', (req, store) => {
			const i = store.getIndicator(req.params.id);
			if (!i || !visible(req, i)) throw new ApiError(404, 'ResourceNotFound', `Indicator ${req.params.id} was not found`);
			store.deleteIndicator(i.id);
			store.bump();
			return { status: 204 };
		}),
	},
	{
		method: 'POST',
		path: '/api/indicators/import',
		api: 'mde',
		handler: guard('mde', (req, store) => {
			const list = (req.body as Record<string, unknown> | undefined)?.Indicators;
			if (!Array.isArray(list)) throw new ApiError(400, 'MissingRequiredParameter', "Missing required parameter 'Indicators'.");
			if (list.length > 500) throw new ApiError(400, 'MaximumBatchSizeExceeded', `Maximum batch size is 500; got ${list.length}.`);
			const value = list.map((x) => {
				try {
					const r = submitIndicator(req, store, x);
					return { id: r.id, indicator: r.indicatorValue, isFailed: false, failureReason: null };
				} catch (e) {
					const v = (x as Record<string, unknown>)?.indicatorValue;
					return { id: null, indicator: typeof v === 'string' ? v : null, isFailed: true, failureReason: (e as Error).message };
				}
			});
			return ok({ '@odata.context': ctxUrl(req, 'mde', 'Collection(microsoft.windowsDefenderATP.api.ImportIndicatorResult)'), value });
		}),
	},
	{
		method: 'POST',
		path: '/api/indicators/BatchDelete',
		api: 'mde',
		handler: guard('mde', (req, store) => {
			const ids = (req.body as Record<string, unknown> | undefined)?.IndicatorIds;
			if (!Array.isArray(ids) || ids.length === 0) throw new ApiError(400, 'InvalidRequestBody', "'IndicatorIds' must contain 1 to 500 ids.");
			if (ids.length > 500) throw new ApiError(400, 'MaximumBatchSizeExceeded', `Maximum batch size is 500; got ${ids.length}.`);
			const recs = ids.map((id) => store.getIndicator(String(id)));
			const missing = ids.filter((_, k) => !recs[k]);
			if (missing.length) throw new ApiError(404, 'ResourceNotFound', `Indicators not found: ${missing.join(', ')}`);
			if (recs.some((r) => !visible(req, r!))) throw new ApiError(403, 'Forbidden', 'Some indicators were created by another application.');
			for (const r of recs) store.deleteIndicator(r!.id);
			store.bump();
			return { status: 204 };
		}),
	},
];
