// `npm run build:lambda`: the AWS Lambda handler as one file, `.build/lambda.bundle/index.mjs` (handler
// `index.handler`; a directory name with a dot, which scripts/build.mjs never prunes), that the stack zips for
// the function (infra/lambda.ts). Bundled from the compiled build (scripts/build.mjs) with esbuild, so an instance loads one module instead of walking node_modules at init: measured in
// docs/serverless.md ("Cold start"). The dependencies are CommonJS and call `require` for Node's own modules,
// which an ES module bundle has no binding for: the banner gives it Node's.
import { build } from 'esbuild'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ensureBuilt } from './build.mjs'

const ROOT = new URL('../', import.meta.url).pathname
export const LAMBDA_BUNDLE = join(ROOT, '.build/lambda.bundle/index.mjs')

export async function buildLambda() {
  await ensureBuilt()
  await build({
    entryPoints: [join(ROOT, 'dist/app/lambda.js')],
    outfile: LAMBDA_BUNDLE,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    minify: true,
    legalComments: 'linked',
    logLevel: 'warning',
    // The SSM client the function reads its public URL with (app/lambda/public-url.ts) is the runtime's own:
    // Lambda's Node.js runtimes include the AWS SDK v3 and let ES modules import it (Lambda Developer Guide,
    // "Building Lambda functions with Node.js"); bundled, it would be parsed at every cold start, used or not.
    external: ['@aws-sdk/*'],
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  })
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildLambda()
