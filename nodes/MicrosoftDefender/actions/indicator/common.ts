import type { INodePropertyOptions } from 'n8n-workflow';

import type { ValueKind } from '../../helpers/validate';

export const INDICATOR_TYPES: INodePropertyOptions[] = [
	{ name: 'Certificate Thumbprint', value: 'CertificateThumbprint' },
	{ name: 'Domain Name', value: 'DomainName' },
	{ name: 'File MD5', value: 'FileMd5' },
	{ name: 'File SHA1', value: 'FileSha1' },
	{ name: 'File SHA256', value: 'FileSha256' },
	{ name: 'IP Address', value: 'IpAddress' },
	{ name: 'URL', value: 'Url' },
];

/** Which validator checks a value of each indicator type. */
export const INDICATOR_VALUE_KIND: Record<string, ValueKind> = {
	CertificateThumbprint: 'sha1',
	DomainName: 'domainName',
	FileMd5: 'md5',
	FileSha1: 'sha1',
	FileSha256: 'sha256',
	IpAddress: 'ipAddress',
	Url: 'url',
};

/** Actions Microsoft supports today (Indicator resource type). */
export const INDICATOR_ACTIONS: INodePropertyOptions[] = [
	{ name: 'Allowed', value: 'Allowed', description: 'Allow the entity (exclusion)' },
	{ name: 'Audit', value: 'Audit', description: 'Only raise an alert (Generate Alert must be on)' },
	{ name: 'Block', value: 'Block', description: 'Block the entity' },
	{ name: 'Block and Remediate', value: 'BlockAndRemediate', description: 'Block files and remediate (files only)' },
	{ name: 'Warn', value: 'Warn', description: 'Warn the user, who can bypass the block (network indicators)' },
];

/**
 * Actions the Indicator resource type says were "supported until January 2022": only for
 * filtering old indicators, never sent on create.
 */
export const LEGACY_INDICATOR_ACTIONS: Record<string, string> = { Alert: 'Audit', AlertAndBlock: 'Block' };

/** For the Get Many filter: today's actions plus the legacy ones old indicators may carry. */
export const INDICATOR_FILTER_ACTIONS: INodePropertyOptions[] = [
	...INDICATOR_ACTIONS,
	{ name: 'Alert (Legacy, Ended January 2022)', value: 'Alert', description: 'Only on indicators created before 2022' },
	{ name: 'Alert and Block (Legacy, Ended January 2022)', value: 'AlertAndBlock', description: 'Only on indicators created before 2022' },
];
