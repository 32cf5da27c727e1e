/** XDR incidents (`/api/incidents`) and Graph incidents (`/v1.0/security/incidents`). */
import { ApiError, type RouteImpl } from '../types';
import type { IncidentRecord } from '../data/model';
import type { DefenderStore, IncidentPatch } from '../data/store';
import { graphComments } from '../data/projections';
import { expandSet } from '../odata';
import { ctxUrl, guard, ok, pageList, q } from './common';
import { graphIncidentSpec, xdrIncidentSpec } from './specs';
import { graphComment } from './alerts';


const newestFirst = (a: IncidentRecord, b: IncidentRecord) => (a.createdTime > b.createdTime ? -1 : a.createdTime < b.createdTime ? 1 : b.incidentId - a.incidentId);
const oldestFirst = (a: IncidentRecord, b: IncidentRecord) => (a.createdTime < b.createdTime ? -1 : a.createdTime > b.createdTime ? 1 : a.incidentId - b.incidentId);

function xdrGet(store: DefenderStore, id: string): IncidentRecord {
	const i = /^\d+$/.test(id) ? store.getIncident(id) : undefined;
	if (!i) throw new ApiError(404, 'ResourceNotFound', `Incident ${id} was not found`);
	return i;
}
function graphGet(store: DefenderStore, id: string): IncidentRecord {
	const i = /^\d+$/.test(id) ? store.getIncident(id) : undefined;
	if (!i) throw new ApiError(404, 'NotFound', `Incident with id '${id}' was not found.`);
	return i;
}

function xdrPatch(body: unknown, appId: string): IncidentPatch {
	if (!body || typeof body !== 'object' || Array.isArray(body)) throw new ApiError(400, 'InvalidRequestBody', 'Request body is missing or is not a JSON object.');
	const p: IncidentPatch = { commentBy: appId };
	for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
		switch (k.toLowerCase()) {
			case 'status':
				if (!['Active', 'Resolved', 'InProgress', 'Redirected'].includes(String(v)))
					throw new ApiError(400, 'InvalidInput', `Invalid value '${v}' for status. Allowed: Active, Resolved, InProgress, Redirected.`);
				p.status = v as string;
				break;
			case 'assignedto':
				p.assignedTo = v as string | null;
				break;
			case 'classification':
				if (v !== null && !['TruePositive', 'InformationalExpectedActivity', 'FalsePositive', 'Unknown'].includes(String(v)))
					throw new ApiError(400, 'InvalidInput', `Invalid value '${v}' for classification.`);
				p.classification = v as string | null;
				break;
			case 'determination':
				p.determination = v as string | null;
				break;
			case 'tags':
				if (!Array.isArray(v) || v.some((t) => typeof t !== 'string')) throw new ApiError(400, 'InvalidRequestBody', "'tags' must be an array of strings.");
				p.tags = v as string[];
				break;
			case 'comment':
				if (typeof v !== 'string') throw new ApiError(400, 'InvalidRequestBody', "'comment' must be a string.");
				p.comment = v;
				break;
			default:
				throw new ApiError(400, 'InvalidRequestBody', `Request body is invalid: unknown property '${k}'.`);
		}
	}
	return p;
}

function graphPatch(body: unknown): IncidentPatch {
	if (!body || typeof body !== 'object' || Array.isArray(body)) throw new ApiError(400, 'BadRequest', 'Empty Payload. JSON content expected.');
	const p: IncidentPatch = {};
	for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
		if (k.startsWith('@odata.')) continue;
		switch (k) {
			case 'status':
				if (!['active', 'resolved', 'redirected', 'inProgress', 'awaitingAction'].includes(String(v)))
					throw new ApiError(400, 'BadRequest', `The request is invalid: Requested value '${v}' was not found in enum 'microsoft.graph.security.incidentStatus'.`);
				p.status = v as string;
				break;
			case 'assignedTo':
				p.assignedTo = v as string | null;
				break;
			case 'classification':
			case 'determination':
				if (typeof v !== 'string') throw new ApiError(400, 'BadRequest', `Invalid value for '${k}'.`);
				p[k] = v;
				break;
			case 'customTags':
				if (!Array.isArray(v) || v.some((t) => typeof t !== 'string')) throw new ApiError(400, 'BadRequest', "'customTags' must be a collection of strings.");
				p.tags = v as string[];
				break;
			case 'displayName':
				if (typeof v === 'string') p.incidentName = v;
				break;
			case 'severity':
				if (typeof v === 'string') p.severity = v;
				break;
			default:
				throw new ApiError(400, 'BadRequest', `The property '${k}' does not exist on type 'microsoft.graph.security.incident'. Make sure to only use property names that are defined by the type or mark the type as open type.`);
		}
	}
	return p;
}

const preferUnknown = (h: Record<string, string>) => /include-unknown-enum-members/i.test(h.prefer ?? h.Prefer ?? '');

export const incidentRoutes: RouteImpl<DefenderStore>[] = [
	// ------------------------------------------------------------ XDR
	{
		method: 'GET',
		path: '/api/incidents',
		api: 'xdr',
		handler: guard('xdr', (req, store) =>
			pageList(req, {
				family: 'xdr',
				base: store.incidents,
				spec: xdrIncidentSpec,
				cacheName: 'xdrIncidents',
				store,
				project: (i) => store.toXdrIncident(i),
				context: 'Incidents',
				maxTop: 100,
				overTop: 'error',
				defaultPage: 100,
				nextLink: 'noTop',
				defaultOrder: newestFirst,
			}),
		),
	},
	{
		method: 'GET',
		path: '/api/incidents/:id',
		api: 'xdr',
		handler: guard('xdr', (req, store) => ok({ '@odata.context': ctxUrl(req, 'xdr', 'Incidents/$entity'), ...store.toXdrIncident(xdrGet(store, req.params.id)) })),
	},
	{
		method: 'PATCH',
		path: '/api/incidents/:id',
		api: 'xdr',
		handler: guard('xdr', (req, store) => {
			const i = xdrGet(store, req.params.id);
			store.updateIncident(i.incidentId, xdrPatch(req.body, req.auth.appId));
			return ok({ '@odata.context': ctxUrl(req, 'xdr', 'Incidents/$entity'), ...store.toXdrIncident(i) });
		}),
	},
	// ------------------------------------------------------------ Graph
	{
		method: 'GET',
		path: '/v1.0/security/incidents',
		api: 'graph',
		handler: guard('graph', (req, store) => {
			const expand = expandSet(q(req, '$expand'));
			for (const e of expand) if (e !== 'alerts') throw new ApiError(400, 'BadRequest', `Could not find a property named '${e}' on type 'microsoft.graph.security.incident'.`);
			const withAlerts = expand.has('alerts');
			if (withAlerts && store.opts.graphExpandWithFilterFails && (q(req, '$filter') ?? '').trim() !== '')
				throw new ApiError(500, 'InternalServerError', 'An error has occurred while processing the request.');
			const unk = preferUnknown(req.headers);
			return pageList(req, {
				family: 'graph',
				base: store.incidents,
				spec: graphIncidentSpec,
				cacheName: 'graphIncidents',
				store,
				project: (i) => store.toGraphIncident(i, withAlerts, unk),
				context: 'security/incidents',
				maxTop: 50,
				overTop: 'error',
				overTopCode: '',
				defaultPage: 50,
				nextLink: 'always',
				defaultOrder: oldestFirst,
				select: true,
				undocumentedOrderBy: { variant: store.opts.graphOrder, seed: store.opts.seed, id: (i) => String(i.incidentId), updated: (i) => i.lastUpdateTime },
			});
		}),
	},
	{
		method: 'GET',
		path: '/v1.0/security/incidents/:id',
		api: 'graph',
		handler: guard('graph', (req, store) => {
			const i = graphGet(store, req.params.id);
			const withAlerts = expandSet(q(req, '$expand')).has('alerts');
			return ok({ '@odata.context': ctxUrl(req, 'graph', 'security/incidents/$entity'), ...store.toGraphIncident(i, withAlerts, preferUnknown(req.headers)) });
		}),
	},
	{
		method: 'PATCH',
		path: '/v1.0/security/incidents/:id',
		api: 'graph',
		handler: guard('graph', (req, store) => {
			const i = graphGet(store, req.params.id);
			store.updateIncident(i.incidentId, graphPatch(req.body));
			return ok({ '@odata.context': ctxUrl(req, 'graph', 'security/incidents/$entity'), ...store.toGraphIncident(i, false, preferUnknown(req.headers)) });
		}),
	},
	{
		method: 'POST',
		path: '/v1.0/security/incidents/:id/comments',
		api: 'graph',
		handler: guard('graph', (req, store) => {
			const i = graphGet(store, req.params.id);
			store.updateIncident(i.incidentId, { comment: graphComment(req.body), commentBy: req.auth.appId });
			return ok({ '@odata.context': ctxUrl(req, 'graph', 'Collection(microsoft.graph.security.alertComment)'), value: graphComments(i.comments) });
		}),
	},
];
