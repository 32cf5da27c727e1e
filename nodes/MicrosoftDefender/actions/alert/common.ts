import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import type { PortalId } from '../common';
import { portalIdLocator, readPortalId } from '../common';

/** Alert ids: MDE `da637…_123`, other Defender products `ca…`, `fa…`, `ed…`, GUID-like. */
export const ALERT_ID: PortalId = {
	name: 'alertId',
	displayName: 'Alert',
	noun: 'alert',
	pattern: '[A-Za-z0-9][A-Za-z0-9_.\\-]{0,199}',
	urlPath: 'alerts',
	example: 'da637472900382838869_1364969609',
	searchListMethod: 'searchAlerts',
	rule: 'Alert IDs contain only letters, digits, "_", "-" and ".", e.g. da637472900382838869_1364969609.',
};

export function alertLocator(description: string): INodeProperties {
	return portalIdLocator(ALERT_ID, description);
}

export function readAlertId(ctx: IExecuteFunctions, i: number): string {
	return readPortalId(ctx, i, ALERT_ID);
}
