/**
 * The function's public URL with OAuth on: the URL of the CloudFront distribution in front of it, from which the
 * app builds its resource identifiers (`<MCP_PUBLIC_URL><base>/mcp`), its Protected Resource Metadata and the
 * challenge of a 401. The stack cannot write it into the function's environment: the distribution's domain is
 * known only once the distribution exists, the distribution needs the function URL as its origin, and the function
 * URL needs the function; an environment variable naming the domain would close that circle. So the stack writes
 * the URL to an SSM parameter once the distribution exists (infra/lambda.ts), names the parameter in
 * MCP_LAMBDA_PUBLIC_URL_PARAMETER, and the function reads it once at init, before the app is built.
 */
export const PUBLIC_URL_PARAMETER = 'MCP_LAMBDA_PUBLIC_URL_PARAMETER'
const READ_TIMEOUT_MS = 5_000

/**
 * The environment with MCP_PUBLIC_URL read from the parameter MCP_LAMBDA_PUBLIC_URL_PARAMETER names, unless
 * MCP_PUBLIC_URL is set (an explicit URL wins) or no parameter is named; throws one readable line if it cannot
 * be read. The SDK is the one Lambda's Node.js runtime includes ("starting with Node.js 18, you can load the AWS
 * SDK that's included in the runtime using ES module import statements", Lambda Developer Guide, "Building
 * Lambda functions with Node.js"): the bundle leaves it out (scripts/build-lambda.mjs), and it is loaded only here.
 */
export async function withPublicUrl(env: NodeJS.ProcessEnv): Promise<NodeJS.ProcessEnv> {
  const name = env[PUBLIC_URL_PARAMETER]
  if (!name || env.MCP_PUBLIC_URL) return env
  let client: import('@aws-sdk/client-ssm').SSMClient | undefined
  try {
    const { SSMClient, GetParameterCommand } = await import('@aws-sdk/client-ssm')
    client = new SSMClient({})
    const { Parameter } = await client.send(new GetParameterCommand({ Name: name }), { abortSignal: AbortSignal.timeout(READ_TIMEOUT_MS) })
    if (!Parameter?.Value) throw new Error('it has no value')
    return { ...env, MCP_PUBLIC_URL: Parameter.Value }
  } catch (error) {
    throw new Error(`${PUBLIC_URL_PARAMETER}: could not read the SSM parameter ${name}: ${(error as Error).message}`)
  } finally {
    client?.destroy()
  }
}
