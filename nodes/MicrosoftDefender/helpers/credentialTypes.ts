/**
 * The package's credential type names, in one place: the credential classes, the nodes'
 * credential lists and the transport all read them here.
 */
export const CREDENTIAL_TYPES = {
	/** App-only (client credentials): MicrosoftDefenderEntraAppApi. */
	entraApp: 'microsoftDefenderEntraAppApi',
	/** Delegated sign-in of an analyst: MicrosoftDefenderDelegatedOAuth2Api. */
	delegated: 'microsoftDefenderDelegatedOAuth2Api',
	/** Azure Storage key or SAS of the stream trigger: MicrosoftDefenderStorageApi. */
	storage: 'microsoftDefenderStorageApi',
} as const;
