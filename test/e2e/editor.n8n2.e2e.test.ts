/**
 * The editor in Chromium on n8n line 2 (2.x, Node 24): see editor.suite.ts.
 */
import { editorSuite } from './editor.suite';

editorSuite(2);
