import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import type { PortalId } from '../common';
import { checkPortalId, portalIdLocator, readPortalId } from '../common';

/** Incident ids: a number (XDR) or a numeric string (Graph). */
export const INCIDENT_ID: PortalId = {
	name: 'incidentId',
	displayName: 'Incident',
	noun: 'incident',
	pattern: '[0-9]{1,19}',
	urlPath: 'incidents',
	example: '2972395',
	searchListMethod: 'searchIncidents',
	rule: 'Incident IDs are numbers, e.g. 2972395.',
};

export function incidentLocator(description: string): INodeProperties {
	return portalIdLocator(INCIDENT_ID, description);
}

export function readIncidentId(ctx: IExecuteFunctions, i: number): string {
	return readPortalId(ctx, i, INCIDENT_ID);
}

/** An optional incident ID typed into a filter; empty → undefined. */
export function checkIncidentId(ctx: IExecuteFunctions, i: number, value: unknown, displayName: string): string | undefined {
	return checkPortalId(ctx, i, INCIDENT_ID, value, displayName);
}
