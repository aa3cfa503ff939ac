export {
  BUILTIN_TEMPLATES,
  CODE_INTERPRETER,
  checkTemplateSpec,
  parseRequirements,
  type TemplateSpec,
} from "./spec.ts";
export {
  type BuiltTemplate,
  buildTemplate,
  findTemplate,
  listTemplates,
  removeTemplate,
  resolveTemplate,
  type TemplateBuildProgress,
} from "./store.ts";
