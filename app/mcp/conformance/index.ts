import type { Catalog } from '../catalog.js'
import type { PromptDefinition } from '../define-prompt.js'
import type { ToolDefinition } from '../define.js'
import testInputRequiredResultPrompt from './prompts/test-input-required-result-prompt.js'
import testPromptWithArguments from './prompts/test-prompt-with-arguments.js'
import testPromptWithEmbeddedResource from './prompts/test-prompt-with-embedded-resource.js'
import testPromptWithImage from './prompts/test-prompt-with-image.js'
import testSimplePrompt from './prompts/test-simple-prompt.js'
import { requestStateCodec } from './request-state.js'
import staticBinary from './resources/static-binary.js'
import staticText from './resources/static-text.js'
import template from './resources/template.js'
import watchedResource from './resources/watched-resource.js'
import greet from './tools/greet.js'
import jsonSchema202012Tool from './tools/json-schema-2020-12-tool.js'
import testAudioContent from './tools/test-audio-content.js'
import testElicitationSep1034Defaults from './tools/test-elicitation-sep1034-defaults.js'
import testElicitationSep1330Enums from './tools/test-elicitation-sep1330-enums.js'
import testElicitation from './tools/test-elicitation.js'
import testEmbeddedResource from './tools/test-embedded-resource.js'
import testErrorHandling from './tools/test-error-handling.js'
import testImageContent from './tools/test-image-content.js'
import testInputRequiredResultCapabilities from './tools/test-input-required-result-capabilities.js'
import testInputRequiredResultElicitation from './tools/test-input-required-result-elicitation.js'
import testInputRequiredResultListRoots from './tools/test-input-required-result-list-roots.js'
import testInputRequiredResultMultiRound from './tools/test-input-required-result-multi-round.js'
import testInputRequiredResultMultipleInputs from './tools/test-input-required-result-multiple-inputs.js'
import testInputRequiredResultRequestState from './tools/test-input-required-result-request-state.js'
import testInputRequiredResultSampling from './tools/test-input-required-result-sampling.js'
import testInputRequiredResultTamperedState from './tools/test-input-required-result-tampered-state.js'
import testLoggingTool from './tools/test-logging-tool.js'
import testMissingCapability from './tools/test-missing-capability.js'
import testMultipleContentTypes from './tools/test-multiple-content-types.js'
import testSampling from './tools/test-sampling.js'
import testSimpleText from './tools/test-simple-text.js'
import testStreamingElicitation from './tools/test-streaming-elicitation.js'
import testToolWithLogging from './tools/test-tool-with-logging.js'
import testToolWithProgress from './tools/test-tool-with-progress.js'
import testTriggerPromptChange from './tools/test-trigger-prompt-change.js'
import testTriggerToolChange from './tools/test-trigger-tool-change.js'

/**
 * The fixtures the MCP conformance suite (`@modelcontextprotocol/conformance`) drives, one file each, written
 * like the examples: what each server scenario names, as the SDKs' own conformance servers provide it. Served
 * beside the examples only when MCP_CONFORMANCE_FIXTURES=1 (app/mcp/catalog.ts, `loadCatalog`), which
 * production refuses; docs/testing.md says how the suite runs against them.
 */
export const fixtures: Required<Catalog> = {
  tools: [
    testSimpleText,
    testImageContent,
    testAudioContent,
    testEmbeddedResource,
    testMultipleContentTypes,
    testToolWithLogging,
    testToolWithProgress,
    testErrorHandling,
    testSampling,
    testElicitation,
    testElicitationSep1034Defaults,
    testElicitationSep1330Enums,
    jsonSchema202012Tool,
    testMissingCapability,
    testStreamingElicitation,
    testLoggingTool,
    testInputRequiredResultElicitation,
    testInputRequiredResultSampling,
    testInputRequiredResultListRoots,
    testInputRequiredResultRequestState,
    testInputRequiredResultMultipleInputs,
    testInputRequiredResultMultiRound,
    testInputRequiredResultTamperedState,
    testInputRequiredResultCapabilities,
    testTriggerToolChange,
    testTriggerPromptChange,
    greet,
  ] as ToolDefinition[],
  resources: [staticText, staticBinary, template, watchedResource],
  prompts: [
    testSimplePrompt,
    testPromptWithArguments,
    testPromptWithEmbeddedResource,
    testPromptWithImage,
    testInputRequiredResultPrompt,
  ] as PromptDefinition[],
  requestState: { verify: requestStateCodec.verify },
}
