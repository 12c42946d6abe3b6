declare module "swagger-ui-dist" {
  export function SwaggerUIBundle(options: { url: string; dom_id: string; deepLinking?: boolean }): unknown;
}
