/// The dashboard's style sheet (`/dashboard.css`, inlined in a report file): readable on a laptop and a phone.
enum DashboardStyle {
    static let source = """
        :root { --ink: #1d2733; --muted: #5b6775; --line: #d8dee6; --accent: #1f6feb; --panel: #ffffff; --page: #f3f5f8; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--page); }
        header { display: flex; align-items: center; gap: 1rem; padding: .6rem 1.2rem; background: #17212b; color: #fff; }
        header h1 { font-size: 1.2rem; margin: 0; }
        header #scope { flex: 1; color: #c9d3de; font-size: .9rem; }
        button { font: inherit; padding: .35rem .8rem; border: 1px solid var(--line); border-radius: 4px; background: #fff; cursor: pointer; }
        header button { background: transparent; color: #fff; border-color: #4a5866; }
        input { font: inherit; padding: .35rem .5rem; border: 1px solid var(--line); border-radius: 4px; width: 11rem; max-width: 100%; }
        #error { margin: 1rem 1.2rem; padding: .6rem .8rem; background: #fdecea; border: 1px solid #f5c2c0; border-radius: 4px; }
        #login { max-width: 26rem; margin: 3rem auto; padding: 1.2rem; background: var(--panel); border: 1px solid var(--line); border-radius: 6px; }
        #login form { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; }
        #filters { display: flex; flex-wrap: wrap; gap: .8rem; align-items: end; padding: .8rem 1.2rem; }
        #filters label { display: flex; flex-direction: column; font-size: .85rem; color: var(--muted); }
        .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 34rem), 1fr)); gap: 1rem; padding: 0 1.2rem 1.2rem; }
        .panel { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: .8rem 1rem; overflow-x: auto; }
        .panel h2 { font-size: 1rem; margin: 0 0 .4rem; }
        .note { color: var(--muted); font-size: .85rem; margin: 0 0 .4rem; }
        svg { width: 100%; height: auto; display: block; }
        svg .label, svg .value, svg .legend { font-size: 11px; fill: var(--muted); }
        svg .bar { fill: var(--accent); }
        svg .bar-second { fill: #8a5cb8; }
        svg .line { fill: none; stroke: var(--accent); stroke-width: 2; }
        svg .point { fill: var(--accent); }
        svg .axis { stroke: var(--line); }
        .event-picked_up { fill: #8fb8f0; } .event-received { fill: #5b8fd9; } .event-in_transit { fill: #3d6fb8; }
        .event-out_for_delivery { fill: #f0b44c; } .event-delivered { fill: #3fa66b; } .event-failed_attempt { fill: #d9534f; }
        .event-returned { fill: #8a5cb8; }
        table { border-collapse: collapse; width: 100%; font-size: .85rem; margin-top: .5rem; }
        th, td { text-align: left; padding: .25rem .4rem; border-bottom: 1px solid var(--line); white-space: nowrap; }
        #trace-form { display: flex; gap: .5rem; }
        #trace-result { list-style: none; margin: .8rem 0 0; padding: 0 0 0 1rem; border-left: 2px solid var(--line); }
        #trace-result li { position: relative; margin: 0 0 .6rem; padding-left: .6rem; }
        #trace-result li::before { content: ""; position: absolute; left: -1.45rem; top: .35rem; width: .7rem; height: .7rem; border-radius: 50%; background: var(--accent); }
        #trace-result li[data-event=delivered]::before { background: #3fa66b; }
        #trace-result li[data-event=failed_attempt]::before, #trace-result li[data-event=returned]::before { background: #d9534f; }
        #trace-result time { display: block; color: var(--muted); font-size: .85rem; font-variant-numeric: tabular-nums; }
        .missing { color: #b52a26; list-style: none; }
        [hidden] { display: none !important; }

        """
}
