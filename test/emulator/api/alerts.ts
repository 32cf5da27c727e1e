/** MDE alerts (`/api/alerts`) and Graph alerts_v2 (`/v1.0/security/alerts_v2`). */
import { ApiError, type RouteImpl } from '../types';
import type { AlertRecord } from '../data/model';
import type { AlertPatch, DefenderStore } from '../data/store';
import { expandSet } from '../odata';
import { ctxUrl, guard, notFound, ok, pageList, q } from './common';
import { graphAlertSpec, mdeAlertSpec } from './specs';
import { cachedJson, graphComments } from '../data/projections';


const byCreated = (a: AlertRecord, b: AlertRecord) => (a.alertCreationTime < b.alertCreationTime ? -1 : a.alertCreationTime > b.alertCreationTime ? 1 : 0);

/** MDE alert update body: lower-camel keys per the example; the property table's capitalised forms are accepted too. */
function mdePatch(body: unknown, appId: string): AlertPatch {
	if (!body || typeof body !== 'object' || Array.isArray(body)) throw new ApiError(400, 'InvalidRequestBody', 'Request body is missing or is not a JSON object.');
	const allowed = ['status', 'assignedto', 'classification', 'determination', 'comment'];
	const p: AlertPatch = { commentBy: appId };
	for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
		const lk = k.toLowerCase();
		if (!allowed.includes(lk)) throw new ApiError(400, 'InvalidRequestBody', `Request body is invalid: unknown property '${k}'.`);
		if (v !== null && typeof v !== 'string') throw new ApiError(400, 'InvalidRequestBody', `Property '${k}' must be a string.`);
		if (lk === 'assignedto') p.assignedTo = v as string | null;
		else if (lk === 'status') {
			if (!['New', 'InProgress', 'Resolved'].includes(String(v))) throw new ApiError(400, 'InvalidInput', `Invalid value '${v}' for status. Allowed: New, InProgress, Resolved.`);
			p.status = v as string;
		} else if (lk === 'classification') {
			if (v !== null && !['TruePositive', 'InformationalExpectedActivity', 'FalsePositive', 'Unknown'].includes(String(v)))
				throw new ApiError(400, 'InvalidInput', `Invalid value '${v}' for classification.`);
			p.classification = v as string | null;
		} else if (lk === 'determination') p.determination = v as string | null;
		else if (lk === 'comment') p.comment = v as string;
	}
	return p;
}

/** Graph alert PATCH: status, classification, determination, assignedTo (lower-camel enum values). */
function graphPatch(body: unknown): AlertPatch {
	if (!body || typeof body !== 'object' || Array.isArray(body)) throw new ApiError(400, 'BadRequest', 'Empty Payload. JSON content expected.');
	const p: AlertPatch = {};
	for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
		if (k.startsWith('@odata.')) continue;
		if (k === 'assignedTo') p.assignedTo = v as string | null;
		else if (k === 'status') {
			if (!['new', 'inProgress', 'resolved'].includes(String(v)))
				throw new ApiError(400, 'BadRequest', `The request is invalid: Requested value '${v}' was not found in enum 'microsoft.graph.security.alertStatus'.`);
			p.status = v as string;
		} else if (k === 'classification' || k === 'determination') {
			if (typeof v !== 'string') throw new ApiError(400, 'BadRequest', `Invalid value for '${k}'.`);
			p[k] = v;
		} else if (k === 'customDetails' || k === 'comments') continue;
		else throw new ApiError(400, 'BadRequest', `The property '${k}' does not exist on type 'microsoft.graph.security.alert'. Make sure to only use property names that are defined by the type or mark the type as open type.`);
	}
	return p;
}

function graphComment(body: unknown): string {
	const c = body && typeof body === 'object' ? (body as Record<string, unknown>).comment : undefined;
	if (typeof c !== 'string' || c === '') throw new ApiError(400, 'BadRequest', "The property 'comment' is required and must be a non-empty string.");
	return c;
}

function mdeGetAlert(store: DefenderStore, id: string): AlertRecord {
	const a = store.getAlert(id);
	if (!a) notFound('mde', 'Alert', id);
	return a;
}
function graphGetAlert(store: DefenderStore, id: string): AlertRecord {
	const a = store.getAlert(id);
	if (!a) throw new ApiError(404, 'NotFound', `Alert with id '${id}' was not found.`);
	return a;
}

export const alertRoutes: RouteImpl<DefenderStore>[] = [
	{
		method: 'GET',
		path: '/api/alerts',
		api: 'mde',
		handler: guard('mde', (req, store) => {
			const ev = expandSet(q(req, '$expand')).has('evidence');
			return pageList(req, {
				family: 'mde',
				base: store.alerts,
				spec: mdeAlertSpec,
				cacheName: 'mdeAlerts',
				store,
				project: (a) => store.toMdeAlert(a, ev),
				json: (a) => cachedJson(store.toMdeAlert(a, ev)),
				context: 'Alerts',
				maxTop: 10000,
				overTop: 'error',
				defaultPage: 10000,
				nextLink: 'noTop',
				select: true,
			});
		}),
	},
	{
		method: 'GET',
		path: '/api/alerts/:id',
		api: 'mde',
		handler: guard('mde', (req, store) => {
			const a = mdeGetAlert(store, req.params.id);
			return ok({ '@odata.context': ctxUrl(req, 'mde', 'Alerts/$entity'), ...store.toMdeAlert(a, true) });
		}),
	},
	{
		method: 'PATCH',
		path: '/api/alerts/:id',
		api: 'mde',
		handler: guard('mde', (req, store) => {
			const a = mdeGetAlert(store, req.params.id);
			store.updateAlert(a.id, mdePatch(req.body, req.auth.appId));
			return ok({ '@odata.context': ctxUrl(req, 'mde', 'Alerts/$entity'), ...store.toMdeAlert(a, false) });
		}),
	},
	{
		method: 'POST',
		path: '/api/alerts/batchUpdate',
		api: 'mde',
		handler: guard('mde', (req, store) => {
			const b = req.body as Record<string, unknown> | undefined;
			const ids = b?.alertIds;
			if (!Array.isArray(ids) || ids.length === 0) throw new ApiError(400, 'MissingRequiredParameter', "Missing required parameter 'alertIds'.");
			const rest = { ...b };
			delete rest.alertIds;
			const patch = mdePatch(rest, req.auth.appId);
			for (const id of ids) mdeGetAlert(store, String(id));
			for (const id of ids) store.updateAlert(String(id), patch);
			return { status: 200 };
		}),
	},
	{
		method: 'GET',
		path: '/api/alerts/:id/machine',
		api: 'mde',
		handler: guard('mde', (req, store) => {
			const a = mdeGetAlert(store, req.params.id);
			const m = store.getMachine(a.machineId);
			if (!m) notFound('mde', 'Machine', a.machineId);
			return ok({ '@odata.context': ctxUrl(req, 'mde', 'Machines/$entity'), ...store.toMdeMachine(m) });
		}),
	},

	// ------------------------------------------------------------ Graph alerts_v2
	{
		method: 'GET',
		path: '/v1.0/security/alerts_v2',
		api: 'graph',
		handler: guard('graph', (req, store) =>
			pageList(req, {
				family: 'graph',
				base: store.alerts,
				spec: graphAlertSpec,
				cacheName: 'graphAlerts',
				store,
				project: (a) => store.toGraphAlert(a),
				json: (a) => cachedJson(store.toGraphAlert(a)),
				context: 'security/alerts_v2',
				maxTop: 1000,
				overTop: 'clamp',
				defaultPage: store.opts.graphAlertsPageSize,
				nextLink: store.opts.graphAlertsNextLink ? 'always' : 'never',
				defaultOrder: byCreated,
				select: true,
				undocumentedOrderBy: { variant: store.opts.graphOrder, seed: store.opts.seed, id: (a) => a.id, updated: (a) => a.lastUpdateTime },
			}),
		),
	},
	{
		method: 'GET',
		path: '/v1.0/security/alerts_v2/:id',
		api: 'graph',
		handler: guard('graph', (req, store) => {
			const a = graphGetAlert(store, req.params.id);
			return ok({ '@odata.context': ctxUrl(req, 'graph', 'security/alerts_v2/$entity'), ...store.toGraphAlert(a) });
		}),
	},
	{
		method: 'PATCH',
		path: '/v1.0/security/alerts_v2/:id',
		api: 'graph',
		handler: guard('graph', (req, store) => {
			const a = graphGetAlert(store, req.params.id);
			store.updateAlert(a.id, graphPatch(req.body));
			return ok({ '@odata.context': ctxUrl(req, 'graph', 'security/alerts_v2/$entity'), ...store.toGraphAlert(a) });
		}),
	},
	{
		method: 'POST',
		path: '/v1.0/security/alerts_v2/:id/comments',
		api: 'graph',
		handler: guard('graph', (req, store) => {
			const a = graphGetAlert(store, req.params.id);
			store.updateAlert(a.id, { comment: graphComment(req.body), commentBy: req.auth.appId });
			return ok({ '@odata.context': ctxUrl(req, 'graph', 'Collection(microsoft.graph.security.alertComment)'), value: graphComments(a.comments) });
		}),
	},
];

export { graphComment };
