// Minimal XML writer for Query API answers: element names are the model's names, lists `<x><item>…</item></x>` (EC2) or `<member>` (awsQuery).
export const EC2_XMLNS = 'http://ec2.amazonaws.com/doc/2016-11-15/';

/** A value to render: objects are elements, arrays are `item` (or `member`) lists, `undefined` members are left out. */
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

/** The name of a list's entries: EC2 says `item`, the other Query APIs (awsQuery) say `member`. */
export type ListItemName = 'item' | 'member';

/** The elements of `value`, indented `depth` levels. */
export function renderChildren(value: XmlObject, depth: number, itemName: ListItemName = 'item'): string {
  return Object.entries(value)
    .map(([name, child]) => renderElement(name, child, depth, itemName))
    .join('');
}

function renderElement(name: string, value: XmlValue, depth: number, itemName: ListItemName): string {
  if (value === undefined) return '';
  const pad = `\n${'    '.repeat(depth)}`;
  if (Array.isArray(value)) {
    if (value.length === 0) return `${pad}<${name}/>`;
    const items = value.map((item) => renderElement(itemName, item, depth + 1, itemName)).join('');
    return `${pad}<${name}>${items}${pad}</${name}>`;
  }
  if (typeof value === 'object') {
    return `${pad}<${name}>${renderChildren(value, depth + 1, itemName)}${pad}</${name}>`;
  }
  return `${pad}<${name}>${escapeXml(String(value))}</${name}>`;
}

export const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';

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
