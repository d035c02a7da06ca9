"""Draw a terminal screen captured with `tmux capture-pane -p -e` (text with SGR colour codes) as SVG.
Used for the editor picture in the README: python editors/nvim/ansi_to_svg.py < screen.ansi > out.svg"""

import html
import re
import sys

CELL_W, CELL_H = 8.4, 18
BASIC = ["#1e1e1e", "#e06c75", "#98c379", "#e5c07b", "#61afef", "#c678dd", "#56b6c2", "#dcdfe4"]
BRIGHT = ["#5c6370", "#ff7b86", "#b5e890", "#ffd68a", "#8cc8ff", "#e39cf7", "#7fe0ec", "#ffffff"]
FG, BG = "#dcdfe4", "#1e1e1e"


def color256(n: int) -> str:
    if n < 8:
        return BASIC[n]
    if n < 16:
        return BRIGHT[n - 8]
    if n < 232:
        n -= 16
        levels = [0, 95, 135, 175, 215, 255]
        return "#{:02x}{:02x}{:02x}".format(levels[n // 36], levels[n // 6 % 6], levels[n % 6])
    grey = 8 + (n - 232) * 10
    return f"#{grey:02x}{grey:02x}{grey:02x}"


def apply(codes: list[int], style: dict) -> None:
    i = 0
    while i < len(codes):
        c = codes[i]
        if c == 0:
            style.update(fg=FG, bg=None, bold=False, underline=False, reverse=False)
        elif c == 1:
            style["bold"] = True
        elif c in (7, 27):
            style["reverse"] = c == 7
        elif c in (4, 24):
            style["underline"] = c == 4
        elif 30 <= c <= 37 or 90 <= c <= 97:
            style["fg"] = (BASIC if c < 90 else BRIGHT)[c % 10]
        elif 40 <= c <= 47 or 100 <= c <= 107:
            style["bg"] = (BASIC if c < 100 else BRIGHT)[c % 10]
        elif c == 39:
            style["fg"] = FG
        elif c == 49:
            style["bg"] = None
        elif c in (38, 48, 58) and i + 1 < len(codes):
            if codes[i + 1] == 5:
                value, i = color256(codes[i + 2]), i + 2
            else:
                value, i = "#{:02x}{:02x}{:02x}".format(*codes[i + 2:i + 5]), i + 4
            if c != 58:
                style["fg" if c == 38 else "bg"] = value
        i += 1


def main() -> None:
    lines = sys.stdin.read().rstrip("\n").split("\n")
    width = max(len(re.sub(r"\x1b\[[0-9;:]*m", "", line)) for line in lines)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width * CELL_W + 20:.0f}" '
           f'height="{len(lines) * CELL_H + 20}" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" '
           f'font-size="14"><rect width="100%" height="100%" rx="6" fill="{BG}"/>']
    style = {"fg": FG, "bg": None, "bold": False, "underline": False, "reverse": False}
    for row, line in enumerate(lines):
        column = 0
        for match in re.finditer(r"\x1b\[([0-9;:]*)m|([^\x1b]+)", line):
            codes, text = match.groups()
            if text is None:
                apply([int(c or 0) for c in re.split("[;:]", codes)], style)
                continue
            x, y = 10 + column * CELL_W, 10 + row * CELL_H
            fg, bg = (style["bg"] or BG, style["fg"]) if style["reverse"] else (style["fg"], style["bg"])
            if bg:
                out.append(f'<rect x="{x:.1f}" y="{y}" width="{len(text) * CELL_W:.1f}" height="{CELL_H}" '
                           f'fill="{bg}"/>')
            if text.strip():
                extra = (' font-weight="bold"' if style["bold"] else "") + \
                        (' text-decoration="underline"' if style["underline"] else "")
                out.append(f'<text x="{x:.1f}" y="{y + 13}" fill="{fg}" xml:space="preserve"'
                           f' textLength="{len(text) * CELL_W:.1f}"{extra}>{html.escape(text)}</text>')
            column += len(text)
    out.append("</svg>")
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
