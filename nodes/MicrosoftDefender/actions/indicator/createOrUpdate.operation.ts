import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { mdeRequest } from '../../transport/mde';
import { splitList, validateValue } from '../../helpers/validate';
import { failInput, readDate, requireText, toItems } from '../common';
import { INDICATOR_ACTIONS, INDICATOR_TYPES, INDICATOR_VALUE_KIND, LEGACY_INDICATOR_ACTIONS } from './common';
import { OPERATIONS } from '../operations';

const properties: INodeProperties[] = [
	{
		displayName: 'Indicator Type',
		name: 'indicatorType',
		type: 'options',
		options: INDICATOR_TYPES,
		default: 'FileSha256',
		required: true,
	},
	{
		displayName: 'Indicator Value',
		name: 'indicatorValue',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
		description: 'The hash, IP address (no CIDR ranges), domain, URL or certificate thumbprint',
	},
	{
		displayName: 'Action',
		name: 'action',
		type: 'options',
		options: INDICATOR_ACTIONS,
		default: 'Block',
		required: true,
	},
	{
		displayName: 'Title',
		name: 'title',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. Ransomware dropper from incident 42',
	},
	{
		displayName: 'Description',
		name: 'description',
		type: 'string',
		required: true,
		default: '',
		typeOptions: { rows: 2 },
		description: 'Why the indicator exists (required by Microsoft)',
	},
	{
		displayName: 'Additional Fields',
		name: 'additionalFields',
		type: 'collection',
		placeholder: 'Add Field',
		default: {},
		options: [
			{
				displayName: 'Application',
				name: 'application',
				type: 'string',
				default: '',
				description: 'The application associated with the indicator (applied on creation only)',
			},
			{
				displayName: 'Educate URL',
				name: 'educateUrl',
				type: 'string',
				default: '',
				description: 'A page shown to users on Block or Warn (URL and domain indicators)',
			},
			{
				displayName: 'Expiration Time',
				name: 'expirationTime',
				type: 'dateTime',
				default: '',
				description: 'When the indicator expires. Empty = never.',
			},
			{
				displayName: 'Generate Alert',
				name: 'generateAlert',
				type: 'boolean',
				default: true,
				description: 'Whether a match raises an alert (always on for the Audit action)',
			},
			{
				displayName: 'RBAC Group Names',
				name: 'rbacGroupNames',
				type: 'string',
				default: '',
				placeholder: 'e.g. Servers, Finance laptops',
				description: 'Device groups the indicator applies to, separated by commas. Empty = all devices.',
			},
			{
				displayName: 'Recommended Actions',
				name: 'recommendedActions',
				type: 'string',
				default: '',
				description: 'What an analyst should do when the indicator matches',
			},
			{
				displayName: 'Severity',
				name: 'severity',
				type: 'options',
				options: [
					{ name: 'High', value: 'High' },
					{ name: 'Medium', value: 'Medium' },
					{ name: 'Low', value: 'Low' },
					{ name: 'Informational', value: 'Informational' },
				],
				default: 'Medium',
			},
		],
	},
];

const displayOptions = { show: { resource: ['indicator'], operation: ['createOrUpdate'] } };

export const description = updateDisplayOptions(displayOptions, properties);

/**
 * Submit or update an indicator. Microsoft updates the existing indicator with the same value
 * and type instead of creating a second one. The value is checked against the type first.
 */
export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
	const indicatorType = this.getNodeParameter('indicatorType', i) as string;
	const kind = INDICATOR_VALUE_KIND[indicatorType];
	if (!kind) {
		throw failInput(this, i, `Unknown indicator type "${indicatorType}"`, `Use one of: ${Object.keys(INDICATOR_VALUE_KIND).join(', ')}.`);
	}
	let indicatorValue = validateValue(this.getNode(), kind, this.getNodeParameter('indicatorValue', i), {
		parameter: 'Indicator Value',
		itemIndex: i,
	});
	if (['sha1', 'sha256', 'md5'].includes(kind)) indicatorValue = indicatorValue.toLowerCase();
	const action = this.getNodeParameter('action', i) as string;
	if (LEGACY_INDICATOR_ACTIONS[action]) {
		throw failInput(
			this,
			i,
			`The indicator action "${action}" is no longer supported by Microsoft`,
			`Microsoft supported ${action} only until January 2022 (Indicator resource type). Use ${LEGACY_INDICATOR_ACTIONS[action]} instead.`,
		);
	}
	const body: IDataObject = {
		indicatorValue,
		indicatorType,
		action,
		title: requireText(this, i, 'title', 'Title', 'Microsoft refuses indicators without a title.').trim(),
		description: requireText(this, i, 'description', 'Description', 'Microsoft refuses indicators without a description.').trim(),
	};

	const additional = this.getNodeParameter('additionalFields', i, {}) as IDataObject;
	for (const field of ['application', 'educateUrl', 'recommendedActions', 'severity']) {
		const value = additional[field];
		if (typeof value === 'string' && value.trim() !== '') body[field] = value.trim();
	}
	const expiration = readDate(this, i, additional.expirationTime, 'Expiration Time');
	if (expiration) body.expirationTime = expiration;
	if (typeof additional.rbacGroupNames === 'string' && additional.rbacGroupNames.trim() !== '') {
		body.rbacGroupNames = splitList(additional.rbacGroupNames);
	}
	if (action === 'Audit') {
		// Microsoft requires generateAlert = true for Audit indicators.
		body.generateAlert = true;
	} else if (typeof additional.generateAlert === 'boolean') {
		body.generateAlert = additional.generateAlert;
	}

	const indicator = await mdeRequest.call(this, {
		method: 'POST',
		path: '/api/indicators',
		body,
		// Submit-or-update keyed on the value: sending it twice leaves the same indicator.
		idempotent: true,
		itemIndex: i,
		operation: OPERATIONS.indicator.createOrUpdate,
	});
	return toItems.call(this, indicator, i);
}
