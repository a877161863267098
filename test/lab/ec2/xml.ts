// Minimal XML writer for EC2 Query API answers: element names are the model's locationNames, lists become `<x><item>…</item></x>`.
export const EC2_XMLNS = 'http://ec2.amazonaws.com/doc/2016-11-15/';

/** A value to render: objects are elements, arrays are `item` lists, `undefined` members are left out. */
export type XmlValue = string | number | boolean | undefined | XmlValue[] | XmlObject;
export interface XmlObject {
  [element: string]: XmlValue;
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

export const escapeXml = (text: string): string => text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);

function renderChildren(value: XmlObject, depth: number): string {
  return Object.entries(value)
    .map(([name, child]) => renderElement(name, child, depth))
    .join('');
}

function renderElement(name: string, value: XmlValue, depth: number): string {
  if (value === undefined) return '';
  const pad = `\n${'    '.repeat(depth)}`;
  if (Array.isArray(value)) {
    if (value.length === 0) return `${pad}<${name}/>`;
    const items = value.map((item) => renderElement('item', item, depth + 1)).join('');
    return `${pad}<${name}>${items}${pad}</${name}>`;
  }
  if (typeof value === 'object') {
    return `${pad}<${name}>${renderChildren(value, depth + 1)}${pad}</${name}>`;
  }
  return `${pad}<${name}>${escapeXml(String(value))}</${name}>`;
}

const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';

/** `<ActionResponse xmlns=…><requestId>…</requestId>…</ActionResponse>` */
export function renderResponse(action: string, requestId: string, body: XmlObject): string {
  const inner = renderChildren({ requestId, ...body }, 1);
  return `${XML_DECLARATION}\n<${action}Response xmlns="${EC2_XMLNS}">${inner}\n</${action}Response>\n`;
}

/** The EC2 error envelope: `<Response><Errors><Error>…</Error></Errors><RequestID>…</RequestID></Response>`. */
export function renderError(code: string, message: string, requestId: string): string {
  return (
    `${XML_DECLARATION}\n<Response><Errors><Error><Code>${escapeXml(code)}</Code>` +
    `<Message>${escapeXml(message)}</Message></Error></Errors>` +
    `<RequestID>${escapeXml(requestId)}</RequestID></Response>\n`
  );
}
