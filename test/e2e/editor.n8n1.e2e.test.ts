/**
 * The editor in Chromium on n8n line 1 (1.123.x, Node 20): see editor.suite.ts.
 */
import { editorSuite } from './editor.suite';

editorSuite(1);
