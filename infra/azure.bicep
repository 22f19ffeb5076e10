// Azure resources for the live-agent handover service:
// Cosmos DB (serverless, database + containers with partition keys and TTL), a Linux App Service on Node 20 with
// every setting wired, a system-assigned managed identity with Cosmos data access (no key), Key Vault for the
// app secrets (App Service reads them as Key Vault references), and the Azure Bot for the agent console.
@maxLength(20)
@minLength(4)
@description('Used to name every resource.')
param resourceBaseName string

param location string = resourceGroup().location
param appServiceSku string = 'B1'

@description('Cosmos DB capacity mode: serverless by default; provisioned throughput for steady high load.')
@allowed(['serverless', 'provisioned'])
param cosmosCapacityMode string = 'serverless'
// Numbers come as strings (Teams Toolkit fills the parameters file from env/ text); empty means the service default.
@description('Autoscale maximum RU/s of the database in provisioned mode (see docs/BENCHMARKS.md for sizing).')
param cosmosMaxThroughput int = 4000
param cosmosDatabaseName string = 'handover'
param retentionDays string = '30'
@description('Largest accepted request body in bytes (MAX_BODY_BYTES), 1024 to 1048576.')
param maxBodyBytes string = '262144'
param logLevel string = 'info'
param deliveryLeaseSeconds string = '60'
param sweepIntervalSeconds string = '5'

@description('The agent console bot (Entra app created by Teams Toolkit).')
param consoleAppId string
@secure()
param consoleAppPassword string
param consoleAppTenantId string = ''

@description('The skill that Copilot Studio calls (Entra app created by Teams Toolkit).')
param skillAppId string
@secure()
param skillAppPassword string
param skillAppTenantId string = ''

@description('The Copilot Studio agent\'s own app registration: proactive messages to the customer go as this bot.')
param copilotAppId string
@secure()
param copilotAppPassword string
param copilotAppTenantId string = ''

@description('Comma-separated app ids allowed to call the skill (Copilot Studio\'s bot app id).')
param allowedCallers string
param allowedTenants string = ''

@description('The agents\' team and channel; leave empty to choose the channel in Teams ("use this channel").')
param agentTeamId string = ''
param agentChannelId string = ''
param agentQueues string = ''
param supervisors string = ''
param agentTenantId string = ''
param agentServiceUrl string = ''
param noteMarker string = '/note'
param teamsRegion string = ''
param entraAuthority string = 'https://login.microsoftonline.com'
param botFrameworkOpenIdMetadataUrl string = 'https://login.botframework.com/v1/.well-known/openidconfiguration'
param teamsServiceUrlBase string = 'https://smba.trafficmanager.net/'
param allowedServiceUrlHosts string = ''
param teamsTenantRps string = '50'
param queueUpdateSeconds string = '60'
param waitEstimateMinSamples string = '20'
param slaClaimSeconds string = '300'
param slaNotify string = ''
param slaLeadSeconds string = '900'
param slaLeads string = ''
param slaReplySeconds string = '300'
param inactivityCheckinSeconds string = '600'
param inactivityCloseSeconds string = '300'
param officeHours string = ''
param officeTimezone string = 'UTC'
param holidays string = ''
param transcriptOnClose string = 'true'
param surveyOnResolve string = 'true'
param blobContainer string = 'files'
param fileLinkMinutes string = '60'
param maxImageBytes string = '4194304'
@description('Which desk serves escalations: teams (channel threads) or livechat (LIVECHAT_BASE_URL\'s REST contract).')
param desk string = 'teams'
param liveChatBaseUrl string = ''
@description('The live-chat desk: its API key (sent as X-API-Key), and the Standard Webhooks secret (whsec_...) it signs webhooks with. Empty when no live-chat desk is used.')
@secure()
param liveChatApiKey string = ''
@secure()
param liveChatWebhookSecret string = ''
@description('Signs the links to stored images (32+ characters, e.g. openssl rand -base64 48); kept in Key Vault.')
@secure()
param fileLinkSecret string

// Empty tenant ids: the Microsoft 365 tenant the registrations were made in (provisioning writes the skill's, and the
// console's is made by the same sign-in), else the tenant this is deployed in. The Azure sign-in's tenant can differ
// from the Microsoft 365 one, so it is the last resort. The agents are the console's tenant's people unless set.
var m365Tenant = empty(skillAppTenantId) ? tenant().tenantId : skillAppTenantId
var consoleTenant = empty(consoleAppTenantId) ? m365Tenant : consoleAppTenantId
var tenantOf = {
  console: consoleTenant
  skill: m365Tenant
  copilot: empty(copilotAppTenantId) ? tenant().tenantId : copilotAppTenantId
  agents: empty(agentTenantId) ? consoleTenant : agentTenantId
}
// Globally unique names even when RESOURCE_SUFFIX is left empty; stable for one resource group.
var baseName = '${resourceBaseName}-${take(uniqueString(resourceGroup().id), 6)}'
var serviceName = '${baseName}-svc'
var publicBaseUrl = 'https://${serviceName}.azurewebsites.net'

resource cosmos 'Microsoft.DocumentDB/databaseAccounts@2024-05-15' = {
  name: '${baseName}-cosmos'
  location: location
  kind: 'GlobalDocumentDB'
  properties: {
    databaseAccountOfferType: 'Standard'
    locations: [{ locationName: location, failoverPriority: 0 }]
    consistencyPolicy: { defaultConsistencyLevel: 'Session' }
    capabilities: cosmosCapacityMode == 'serverless' ? [{ name: 'EnableServerless' }] : []
    disableLocalAuth: true // managed identity only: no account key to leak
  }
}

resource database 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases@2024-05-15' = {
  parent: cosmos
  name: cosmosDatabaseName
  properties: {
    resource: { id: cosmosDatabaseName }
    options: cosmosCapacityMode == 'provisioned' ? { autoscaleSettings: { maxThroughput: cosmosMaxThroughput } } : {}
  }
}

// The same containers the service creates when missing (src/store/cosmos/cosmosStore.ts): TTL on, per item.
var containers = [
  { name: 'escalations', partitionKey: '/id' }
  { name: 'lookups', partitionKey: '/id' }
  { name: 'transcripts', partitionKey: '/escalationId' }
  { name: 'outbox', partitionKey: '/escalationId' }
  { name: 'settings', partitionKey: '/id' }
  { name: 'leases', partitionKey: '/id' }
]

resource cosmosContainers 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2024-05-15' = [for c in containers: {
  parent: database
  name: c.name
  properties: {
    resource: {
      id: c.name
      partitionKey: { paths: [c.partitionKey], kind: 'Hash' }
      defaultTtl: -1
    }
  }
}]

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  // Key Vault names end with a letter or digit: cut before the suffix, never leaving a trailing hyphen.
  name: '${take(replace(baseName, '-', ''), 21)}-kv'
  location: location
  properties: {
    tenantId: tenant().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
  }
}

resource consoleSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'console-app-password'
  properties: { value: consoleAppPassword }
}

resource skillSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'skill-app-password'
  properties: { value: skillAppPassword }
}

resource copilotSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'copilot-app-password'
  properties: { value: copilotAppPassword }
}

resource fileLinkSecretValue 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'file-link-secret'
  properties: { value: fileLinkSecret }
}

resource liveChatApiKeyValue 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'livechat-api-key'
  properties: { value: empty(liveChatApiKey) ? 'unused' : liveChatApiKey }
}

resource liveChatWebhookSecretValue 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'livechat-webhook-secret'
  properties: { value: empty(liveChatWebhookSecret) ? 'unused' : liveChatWebhookSecret }
}

// Images passed between customers and agents: private, reached with the service's managed identity only (no keys),
// deleted after RETENTION_DAYS like the escalations they belong to.
resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: take(toLower(replace('${baseName}files${uniqueString(resourceGroup().id)}', '-', '')), 24)
  location: location
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource filesContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: blobContainer
  properties: { publicAccess: 'None' }
}

resource filesRetention 'Microsoft.Storage/storageAccounts/managementPolicies@2023-05-01' = {
  parent: storage
  name: 'default'
  properties: {
    policy: {
      rules: [
        {
          name: 'delete-with-escalations'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: { blobTypes: ['blockBlob'], prefixMatch: ['${blobContainer}/'] }
            actions: { baseBlob: { delete: { daysAfterModificationGreaterThan: int(retentionDays) } } }
          }
        }
      ]
    }
  }
}

resource plan 'Microsoft.Web/serverfarms@2023-12-01' = {
  name: '${baseName}-plan'
  location: location
  kind: 'linux'
  sku: { name: appServiceSku }
  properties: { reserved: true }
}

resource service 'Microsoft.Web/sites@2023-12-01' = {
  name: serviceName
  location: location
  kind: 'app,linux'
  identity: { type: 'SystemAssigned' }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      linuxFxVersion: 'NODE|20-lts'
      alwaysOn: true
      ftpsState: 'Disabled'
      minTlsVersion: '1.2'
      healthCheckPath: '/healthz'
      appCommandLine: 'node dist/src/index.js'
      appSettings: [
        { name: 'NODE_ENV', value: 'production' }
        { name: 'PORT', value: '8080' }
        { name: 'HOST', value: '0.0.0.0' }
        { name: 'LOG_LEVEL', value: logLevel }
        { name: 'PUBLIC_BASE_URL', value: publicBaseUrl }
        { name: 'MAX_BODY_BYTES', value: maxBodyBytes }
        { name: 'SKILL_APP_ID', value: skillAppId }
        { name: 'SKILL_APP_PASSWORD', value: '@Microsoft.KeyVault(SecretUri=${skillSecret.properties.secretUri})' }
        { name: 'SKILL_APP_TENANT_ID', value: tenantOf.skill }
        { name: 'ALLOWED_CALLERS', value: allowedCallers }
        { name: 'ALLOWED_TENANTS', value: allowedTenants }
        { name: 'COPILOT_APP_ID', value: copilotAppId }
        { name: 'COPILOT_APP_PASSWORD', value: '@Microsoft.KeyVault(SecretUri=${copilotSecret.properties.secretUri})' }
        { name: 'COPILOT_APP_TENANT_ID', value: tenantOf.copilot }
        { name: 'CONSOLE_APP_ID', value: consoleAppId }
        { name: 'CONSOLE_APP_PASSWORD', value: '@Microsoft.KeyVault(SecretUri=${consoleSecret.properties.secretUri})' }
        { name: 'CONSOLE_APP_TENANT_ID', value: tenantOf.console }
        { name: 'AGENT_TEAM_ID', value: agentTeamId }
        { name: 'AGENT_CHANNEL_ID', value: agentChannelId }
        { name: 'AGENT_QUEUES', value: agentQueues }
        { name: 'SUPERVISORS', value: supervisors }
        { name: 'AGENT_TENANT_ID', value: tenantOf.agents }
        { name: 'AGENT_SERVICE_URL', value: agentServiceUrl }
        { name: 'NOTE_MARKER', value: noteMarker }
        { name: 'ENTRA_AUTHORITY', value: entraAuthority }
        { name: 'BOTFRAMEWORK_OPENID_METADATA_URL', value: botFrameworkOpenIdMetadataUrl }
        { name: 'TEAMS_SERVICE_URL_BASE', value: teamsServiceUrlBase }
        { name: 'TEAMS_REGION', value: teamsRegion }
        { name: 'ALLOWED_SERVICE_URL_HOSTS', value: allowedServiceUrlHosts }
        { name: 'ALLOW_LOOPBACK_SERVICE_URLS', value: 'false' }
        { name: 'COSMOS_ENDPOINT', value: cosmos.properties.documentEndpoint }
        { name: 'COSMOS_USE_MANAGED_IDENTITY', value: 'true' }
        { name: 'COSMOS_DATABASE', value: cosmosDatabaseName }
        // No account key and no private CA in Azure: the managed identity reaches Cosmos DB over its public TLS.
        { name: 'COSMOS_KEY', value: '' }
        { name: 'COSMOS_CA_FILE', value: '' }
        { name: 'RETENTION_DAYS', value: retentionDays }
        { name: 'DELIVERY_LEASE_SECONDS', value: deliveryLeaseSeconds }
        { name: 'SWEEP_INTERVAL_SECONDS', value: sweepIntervalSeconds }
        { name: 'TEAMS_TENANT_RPS', value: teamsTenantRps }
        { name: 'QUEUE_UPDATE_SECONDS', value: queueUpdateSeconds }
        { name: 'WAIT_ESTIMATE_MIN_SAMPLES', value: waitEstimateMinSamples }
        { name: 'SLA_CLAIM_SECONDS', value: slaClaimSeconds }
        { name: 'SLA_NOTIFY', value: slaNotify }
        { name: 'SLA_LEAD_SECONDS', value: slaLeadSeconds }
        { name: 'SLA_LEADS', value: slaLeads }
        { name: 'SLA_REPLY_SECONDS', value: slaReplySeconds }
        { name: 'INACTIVITY_CHECKIN_SECONDS', value: inactivityCheckinSeconds }
        { name: 'INACTIVITY_CLOSE_SECONDS', value: inactivityCloseSeconds }
        { name: 'OFFICE_HOURS', value: officeHours }
        { name: 'OFFICE_TIMEZONE', value: officeTimezone }
        { name: 'HOLIDAYS', value: holidays }
        { name: 'TRANSCRIPT_ON_CLOSE', value: transcriptOnClose }
        { name: 'SURVEY_ON_RESOLVE', value: surveyOnResolve }
        { name: 'BLOB_ENDPOINT', value: storage.properties.primaryEndpoints.blob }
        // No account key in Azure: the managed identity has Storage Blob Data Contributor on the account.
        { name: 'BLOB_CONNECTION_STRING', value: '' }
        { name: 'BLOB_CONTAINER', value: blobContainer }
        { name: 'FILE_LINK_SECRET', value: '@Microsoft.KeyVault(SecretUri=${fileLinkSecretValue.properties.secretUri})' }
        { name: 'FILE_LINK_MINUTES', value: fileLinkMinutes }
        { name: 'MAX_IMAGE_BYTES', value: maxImageBytes }
        { name: 'DESK', value: desk }
        { name: 'LIVECHAT_BASE_URL', value: liveChatBaseUrl }
        { name: 'LIVECHAT_API_KEY', value: empty(liveChatApiKey) ? '' : '@Microsoft.KeyVault(SecretUri=${liveChatApiKeyValue.properties.secretUri})' }
        // A bearer token instead of the API key: set it in the App Service (or a Key Vault reference) if the desk needs one.
        { name: 'LIVECHAT_BEARER_TOKEN', value: '' }
        { name: 'LIVECHAT_WEBHOOK_SECRET', value: empty(liveChatWebhookSecret) ? '' : '@Microsoft.KeyVault(SecretUri=${liveChatWebhookSecretValue.properties.secretUri})' }
        // Empty: App Service sets WEBSITE_INSTANCE_ID per instance; each process adds its own suffix on delivery leases.
        { name: 'INSTANCE_ID', value: '' }
        { name: 'WEBSITE_RUN_FROM_PACKAGE', value: '1' }
        { name: 'SCM_DO_BUILD_DURING_DEPLOYMENT', value: 'false' }
      ]
    }
  }
}

// Cosmos DB Built-in Data Contributor for the service's managed identity.
resource cosmosDataAccess 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2024-05-15' = {
  parent: cosmos
  name: guid(cosmos.id, service.id, 'data-contributor')
  properties: {
    roleDefinitionId: '${cosmos.id}/sqlRoleDefinitions/00000000-0000-0000-0000-000000000002'
    principalId: service.identity.principalId
    scope: cosmos.id
  }
}

// Key Vault Secrets User for the service's managed identity (resolves the Key Vault references above).
resource vaultAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: vault
  name: guid(vault.id, service.id, 'secrets-user')
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '4633458b-17de-408a-b874-0445c86b69e6')
    principalId: service.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

// Storage Blob Data Contributor for the service's managed identity (stores and reads the images).
resource blobDataAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: storage
  name: guid(storage.id, service.id, 'blob-data-contributor')
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'ba92f5b4-2d11-453d-a403-e96b0029c9fe')
    principalId: service.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

// The agent console's Azure Bot: Teams channel on, messaging endpoint on this service.
resource consoleBot 'Microsoft.BotService/botServices@2022-09-15' = {
  name: '${baseName}-console'
  location: 'global'
  kind: 'azurebot'
  sku: { name: 'F0' }
  properties: {
    displayName: 'Handover Console'
    endpoint: '${publicBaseUrl}/api/console/messages'
    msaAppId: consoleAppId
    msaAppType: 'SingleTenant'
    msaAppTenantId: tenantOf.console
  }
}

resource consoleBotTeams 'Microsoft.BotService/botServices/channels@2022-09-15' = {
  parent: consoleBot
  name: 'MsTeamsChannel'
  location: 'global'
  properties: { channelName: 'MsTeamsChannel' }
}

// Read back by teamsapp.yml (deploy) and shown to the admin for Copilot Studio.
output SERVICE_APP_SERVICE_RESOURCE_ID string = service.id
output PUBLIC_BASE_URL string = publicBaseUrl
output SKILL_MANIFEST_URL string = '${publicBaseUrl}/skill-manifest.json'
output COSMOS_ENDPOINT string = cosmos.properties.documentEndpoint
output BLOB_ENDPOINT string = storage.properties.primaryEndpoints.blob
output SERVICE_DOMAIN string = '${serviceName}.azurewebsites.net'
