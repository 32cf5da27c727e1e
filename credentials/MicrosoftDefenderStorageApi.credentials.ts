import type { ICredentialType, INodeProperties, Icon } from 'n8n-workflow';

import { CREDENTIAL_TYPES } from '../nodes/MicrosoftDefender/helpers/credentialTypes';

/**
 * Storage account key or SAS token for the Microsoft Defender Stream Trigger (the alternative
 * to the Entra app). The account name and queue are node parameters.
 */
export class MicrosoftDefenderStorageApi implements ICredentialType {
	name = CREDENTIAL_TYPES.storage;

	displayName = 'Microsoft Defender Stream (Azure Storage Key or SAS) API';

	icon: Icon = { light: 'file:../icons/defender.svg', dark: 'file:../icons/defender.dark.svg' };

	documentationUrl =
		'https://github.com/n8n-nodes-microsoft-defender/n8n-nodes-microsoft-defender#streaming-export-trigger';

	properties: INodeProperties[] = [
		{
			displayName: 'Authentication',
			name: 'authentication',
			type: 'options',
			options: [
				{ name: 'Account Key (Shared Key)', value: 'accountKey' },
				{ name: 'SAS Token', value: 'sas' },
			],
			default: 'sas',
		},
		{
			displayName: 'Account Key',
			name: 'accountKeySecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description: 'Storage account → Security + networking → Access keys → key1 → Key',
			displayOptions: { show: { authentication: ['accountKey'] } },
		},
		{
			displayName: 'SAS Token',
			name: 'sasToken',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			placeholder: 'sv=…&ss=bq&srt=sco&sp=rp&se=…&sig=…',
			description:
				'Account SAS for the Blob and Queue services with Read (r) and Process (p) permissions (add Add (a) for the poison queue)',
			displayOptions: { show: { authentication: ['sas'] } },
		},
	];
}
