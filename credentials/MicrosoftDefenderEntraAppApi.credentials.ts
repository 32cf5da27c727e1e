import type { ICredentialTestRequest, ICredentialType, INodeProperties, Icon } from 'n8n-workflow';

// Skeleton; the token service issue fills in authentication, clouds and the Test button.
export class MicrosoftDefenderEntraAppApi implements ICredentialType {
	name = 'microsoftDefenderEntraAppApi';

	displayName = 'Microsoft Defender (Entra App) API';

	icon: Icon = { light: 'file:../icons/defender.svg', dark: 'file:../icons/defender.dark.svg' };

	documentationUrl =
		'https://github.com/n8n-nodes-microsoft-defender/n8n-nodes-microsoft-defender#credentials';

	properties: INodeProperties[] = [
		{
			displayName: 'Tenant ID',
			name: 'tenantId',
			type: 'string',
			default: '',
			required: true,
		},
		{
			displayName: 'Client ID',
			name: 'clientId',
			type: 'string',
			default: '',
			required: true,
		},
		{
			displayName: 'Client Secret',
			name: 'clientSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
		},
	];

	test: ICredentialTestRequest = {
		request: {
			baseURL: 'https://api.security.microsoft.com',
			url: '/api/machines',
			qs: { $top: 1 },
		},
	};
}
