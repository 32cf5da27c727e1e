import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { passOn } from '../../helpers/errors';
import { and, dateTime, ge, lt } from '../../helpers/odata';
import { defenderApiRequest, defenderApiRequestAllItems } from '../../transport';
import type { OperationRef } from '../../helpers/permissions';

/**
 * One incident with its alerts.
 *
 * Graph's *Get incident* page documents no query parameters, so `$expand=alerts` on it is not a
 * promise: the service may honour it, ignore it (no `alerts` in the answer) or refuse it (400).
 * Honoured: one call. Otherwise the incident is read plainly and its alerts come from *List
 * incidents*, which documents both `$expand` and a `$filter` on `createdDateTime`: the incidents
 * created at that instant, with their alerts, and of those the one with this ID.
 * `alertsSource` in the result says which way was used when it was not the first.
 */
export async function readIncidentWithAlerts(
	this: IExecuteFunctions,
	id: string,
	itemIndex: number,
	operation: OperationRef,
): Promise<IDataObject> {
	const get = async (qs: IDataObject) =>
		(await defenderApiRequest.call(this, {
			api: 'graph',
			method: 'GET',
			path: `/v1.0/security/incidents/${encodeURIComponent(id)}`,
			qs,
			itemIndex,
			operation,
		})) as IDataObject;

	let incident: IDataObject;
	try {
		incident = await get({ $expand: 'alerts' });
		if (Array.isArray(incident.alerts)) return incident;
	} catch (error) {
		if (String((error as { httpCode?: unknown }).httpCode) !== '400') throw passOn(this.getNode(), error, itemIndex);
		incident = await get({});
	}

	// The millisecond the incident was created in (Graph prints 7 fraction digits; a range needs no exact match).
	const createdMs = Date.parse(String(incident.createdDateTime ?? ''));
	if (Number.isNaN(createdMs)) return { ...incident, alerts: [], alertsSource: 'unavailable' };
	const from = Math.floor(createdMs);
	const sameInstant = await defenderApiRequestAllItems.call(
		this,
		{
			api: 'graph',
			method: 'GET',
			path: '/v1.0/security/incidents',
			qs: {
				$filter: and(ge('createdDateTime', dateTime(new Date(from))), lt('createdDateTime', dateTime(new Date(from + 1)))),
				$expand: 'alerts',
			},
			itemIndex,
			operation,
		},
		{ endpoint: 'graphIncidents' },
	);
	const match = sameInstant.find((x) => String(x.id) === String(incident.id ?? id));
	return {
		...incident,
		alerts: Array.isArray(match?.alerts) ? match.alerts : [],
		alertsSource: match ? 'listIncidents' : 'unavailable',
	};
}
