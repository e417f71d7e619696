// Amazon Cognito as the team's authorization server (`cognitoEnabled`): a user pool the operators add people to,
// its managed-login domain (the OAuth 2.0 endpoints and sign-in pages), a resource server whose scopes name what
// this MCP server grants, and one public app client every MCP client signs in through (authorization code with
// PKCE, the main clients' redirect URIs). What Cognito lacks for strict MCP clients (code_challenge_methods_supported
// in its metadata, Dynamic Client Registration) the app bridges on our origin (./oauth.ts, oauthEnvironment).
import { createHash } from 'node:crypto'
import * as aws from '@pulumi/aws'
import * as pulumi from '@pulumi/pulumi'
import type { InfraConfig } from './config'
import { OPENID_SCOPES, RESOURCE_SERVER_IDENTIFIER, cognitoScope } from './oauth'

export interface CognitoArgs {
  config: InfraConfig
  /** `<project>-<stack>`: names the pool and the client, and starts the default domain prefix. */
  label: string
}

export class Cognito extends pulumi.ComponentResource {
  readonly userPool: aws.cognito.UserPool
  readonly client: aws.cognito.UserPoolClient
  readonly domain: aws.cognito.UserPoolDomain
  /** https://cognito-idp.<region>.amazonaws.com/<user pool id>: the `iss` of its tokens. */
  readonly issuer: pulumi.Output<string>
  /** https://<prefix>.auth.<region>.amazoncognito.com: sign-in pages and OAuth endpoints. */
  readonly domainUrl: pulumi.Output<string>

  constructor(name: string, args: CognitoArgs, opts?: pulumi.ComponentResourceOptions) {
    super('mcp:infra:Cognito', name, {}, opts)
    const { config } = args
    const child = { parent: this }
    this.userPool = new aws.cognito.UserPool(name, {
      name: args.label,
      // Resource binding (an `aud` in access tokens, ./oauth.ts) and managed login come with the Essentials or Plus
      // plan ("available to Amazon Cognito Managed Login customers using Essentials or Plus tiers", AWS What's New,
      // "Amazon Cognito now supports resource indicators"). Essentials is the default for new pools; written out so
      // nobody lowers it to Lite without seeing why.
      userPoolTier: 'ESSENTIALS',
      // A team's directory: operators add people (docs/deploy.md "Cognito step by step"); nobody signs themselves up.
      adminCreateUserConfig: { allowAdminCreateUserOnly: true },
      usernameAttributes: ['email'],
      autoVerifiedAttributes: ['email'],
      accountRecoverySetting: { recoveryMechanisms: [{ name: 'verified_email', priority: 1 }] },
      mfaConfiguration: 'OPTIONAL',
      softwareTokenMfaConfiguration: { enabled: true },
    }, child)
    const resourceServer = new aws.cognito.ResourceServer(name, {
      userPoolId: this.userPool.id,
      identifier: RESOURCE_SERVER_IDENTIFIER,
      name: 'MCP server',
      scopes: config.cognitoScopes.map((scopeName) => ({ scopeName, scopeDescription: `MCP server: ${scopeName}` })),
    }, child)
    this.client = new aws.cognito.UserPoolClient(name, {
      name: `${args.label}-mcp-clients`,
      userPoolId: this.userPool.id,
      // A public client: MCP clients run on people's machines or in a vendor's cloud and keep no secret of ours.
      generateSecret: false,
      allowedOauthFlowsUserPoolClient: true,
      // The authorization code grant only (no implicit grant, no client credentials); the MCP clients add PKCE
      // (S256, which the app's bridged metadata advertises). Cognito "supports" PKCE but has no setting that
      // requires it (Cognito Developer Guide, "Using PKCE in authorization code grants").
      allowedOauthFlows: ['code'],
      allowedOauthScopes: [...OPENID_SCOPES, ...config.cognitoScopes.map(cognitoScope)],
      callbackUrls: config.cognitoCallbackUrls,
      supportedIdentityProviders: ['COGNITO'],
      // No password sign-in through the API: only managed login, then refreshes.
      explicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH'],
      preventUserExistenceErrors: 'ENABLED',
      enableTokenRevocation: true,
    }, { parent: this, dependsOn: [resourceServer] }) // its custom scopes must exist first
    const prefix = config.cognitoDomainPrefix
      ? pulumi.output(config.cognitoDomainPrefix)
      : aws.getCallerIdentityOutput({}, child).accountId.apply((account) => defaultDomainPrefix(args.label, account))
    // Managed login (version 2), not the classic hosted UI: the generation resource binding is documented for.
    this.domain = new aws.cognito.UserPoolDomain(name, { userPoolId: this.userPool.id, domain: prefix, managedLoginVersion: 2 }, child)
    // Managed login renders an app client's pages from its style: Cognito's own look.
    new aws.cognito.ManagedLoginBranding(name, { userPoolId: this.userPool.id, clientId: this.client.id, useCognitoProvidedValues: true }, child)
    const region = aws.getRegionOutput({}, child).region
    this.issuer = pulumi.interpolate`https://cognito-idp.${region}.amazonaws.com/${this.userPool.id}`
    this.domainUrl = pulumi.interpolate`https://${this.domain.domain}.auth.${region}.amazoncognito.com`
    this.registerOutputs({ issuer: this.issuer, clientId: this.client.id, domainUrl: this.domainUrl })
  }
}

/**
 * A prefix is unique among all of a region's Cognito domains: the stack's label and a hash of the account, so two
 * accounts with a stack of the same name do not collide, and the account number itself is not published.
 * Reserved words (`aws`, `amazon`, `cognito`) and characters a prefix may not hold are dropped from the label.
 */
export function defaultDomainPrefix(label: string, account: string): string {
  const base = label.toLowerCase().replace(/aws|amazon|cognito/g, '').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'mcp'
  const digest = createHash('sha256').update(`${account}/${label}`).digest('hex').slice(0, 12)
  return `${base}-${digest}`
}
