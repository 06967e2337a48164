/** Types of the parts of `ini-api` (2.x, untyped upstream) the agent uses (commands/ini-edit.ts). */
declare module 'ini-api' {
  export const lineTypes: { blank: 0; comment: 1; header: 2; pair: 3 };
  export class IniLine {
    constructor(text: string);
    lineType: 0 | 1 | 2 | 3;
    readonly key: string | undefined;
    /** the raw line; setting it re-parses the line and writes it back as given */
    text: string;
  }
  export class IniSection {
    name: string | null | undefined;
    lines: IniLine[];
    getLine(key: string): IniLine | undefined;
  }
  export class Ini {
    constructor(text?: string, lineBreak?: string);
    lineBreak: string;
    globals: IniSection;
    sections: IniSection[];
    stringify(options?: { removeBlankLines?: boolean; removeCommentLines?: boolean; blankLineBeforeSection?: boolean }): string;
  }
}
