// Interactive API docs, served by the web app from npm's swagger-ui-dist so
// they work without reaching the internet. The spec comes from the API.
import { SwaggerUIBundle } from "swagger-ui-dist";
import "swagger-ui-dist/swagger-ui.css";

SwaggerUIBundle({ url: "/api/openapi.json", dom_id: "#swagger", deepLinking: true });
