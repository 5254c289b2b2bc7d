/** The task function (DESIGN.md data flow step 3) and the templating/XCom helpers other layers reuse. */
export { runTaskFunction, airflowContextEnv, type TaskFunctionDeps } from './task-function.js';
export { renderTemplate, TemplateRenderError, type RenderOptions } from './templating.js';
export { buildTemplateContext, mergeParams } from './template-context.js';
export {
  readXcom,
  writeXcom,
  clearXcoms,
  volumeXcomReader,
  XCOM_RETURN_KEY,
  type XcomEntry,
  type XcomReader,
  type XcomSource,
} from './xcom.js';
