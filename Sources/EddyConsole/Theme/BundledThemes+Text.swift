// Generated from themes/*.theme; ThemeBundleTests checks that they match.
// After editing a theme file, run `EDDY_UPDATE_SNAPSHOTS=1 swift test --filter ThemeBundleTests`.

extension BundledThemes {
    /// Theme file texts by name, in `names` order.
    static let texts: [String: String] = [
        "default": """
        # eddy theme "default": the basic 8 colours over the terminal's own background, so it
        # reads well on dark and light terminals alike.
        # Format: one role per line,  ROLE = FOREGROUND BACKGROUND [ATTRIBUTE ...]
        #   colours: default (the terminal's own colour; in any role but "text" it means the text
        #            role's colour), black red green yellow blue magenta cyan white, bright-NAME,
        #            0-255 (the xterm 256-colour palette), or #rrggbb (nearest palette colour)
        #   attributes: bold dim underline reverse
        # Lines starting with # are comments. Roles left out take the built-in default theme's look.
        # On 8-colour terminals other colours map to the nearest of the 8; without colour (NO_COLOR,
        # monochrome terminals) roles that use colour take the monochrome theme's attributes.
        # See themes/README.md for what each role colours.

        text                 = default       default
        muted                = default       default  dim
        header               = black         cyan     bold
        tab                  = black         cyan
        tab-active           = bright-white  blue     bold
        column-header        = default       default  bold
        selected             = bright-white  blue
        border               = cyan          default
        title                = cyan          default  bold
        accent               = yellow        default  bold
        ok                   = green         default
        warning              = yellow        default
        error                = red           default  bold
        status               = black         white
        status-error         = bright-white  red      bold
        caption              = black         yellow
        sparkline            = green         default
        ruler-consumed       = green         default
        ruler-lag            = yellow        default  bold
        ruler-unreplicated   = default       default  dim
        ruler-committed      = magenta       default  bold
        ruler-position       = cyan          default  bold
        ruler-high-watermark = default       default  bold
        ruler-last-stable    = yellow        default  bold
        out-of-isr           = red           default  bold underline
        dialog               = default       default
        input                = default       default  underline

        """,
        "dark": """
        # eddy theme "dark": 256 colours on a dark grey background. Every colour was picked so
        # that its nearest basic colour still reads on 8-colour terminals.
        # Format: one role per line,  ROLE = FOREGROUND BACKGROUND [ATTRIBUTE ...]
        #   colours: default (the terminal's own colour; in any role but "text" it means the text
        #            role's colour), black red green yellow blue magenta cyan white, bright-NAME,
        #            0-255 (the xterm 256-colour palette), or #rrggbb (nearest palette colour)
        #   attributes: bold dim underline reverse
        # Lines starting with # are comments. Roles left out take the built-in default theme's look.
        # On 8-colour terminals other colours map to the nearest of the 8; without colour (NO_COLOR,
        # monochrome terminals) roles that use colour take the monochrome theme's attributes.
        # See themes/README.md for what each role colours.

        text                 = 252  235
        muted                = 244  default
        header               = 235  39       bold
        tab                  = 235  39
        tab-active           = 231  25       bold
        column-header        = 75   default  bold
        selected             = 231  24
        border               = 245  default
        title                = 75   default  bold
        accent               = 214  default  bold
        ok                   = 76   default
        warning              = 220  default
        error                = 203  default  bold
        status               = 252  238
        status-error         = 231  160      bold
        caption              = 235  220
        sparkline            = 81   default
        ruler-consumed       = 71   default
        ruler-lag            = 214  default  bold
        ruler-unreplicated   = 244  default
        ruler-committed      = 201  default  bold
        ruler-position       = 51   default  bold
        ruler-high-watermark = 231  default  bold
        ruler-last-stable    = 220  default  bold
        out-of-isr           = 196  default  bold underline
        dialog               = 252  237
        input                = 231  239      underline

        """,
        "light": """
        # eddy theme "light": 256 colours, dark text on a near-white background.
        # Format: one role per line,  ROLE = FOREGROUND BACKGROUND [ATTRIBUTE ...]
        #   colours: default (the terminal's own colour; in any role but "text" it means the text
        #            role's colour), black red green yellow blue magenta cyan white, bright-NAME,
        #            0-255 (the xterm 256-colour palette), or #rrggbb (nearest palette colour)
        #   attributes: bold dim underline reverse
        # Lines starting with # are comments. Roles left out take the built-in default theme's look.
        # On 8-colour terminals other colours map to the nearest of the 8; without colour (NO_COLOR,
        # monochrome terminals) roles that use colour take the monochrome theme's attributes.
        # See themes/README.md for what each role colours.

        text                 = 235  255
        muted                = 240  default
        header               = 255  25       bold
        tab                  = 255  25
        tab-active           = 25   255      bold
        column-header        = 25   default  bold
        selected             = 255  31       bold
        border               = 241  default
        title                = 25   default  bold
        accent               = 127  default  bold
        ok                   = 28   default
        warning              = 136  default  bold
        error                = 160  default  bold
        status               = 255  240
        status-error         = 255  160      bold
        caption              = 235  220
        sparkline            = 31   default
        ruler-consumed       = 28   default
        ruler-lag            = 166  default  bold
        ruler-unreplicated   = 241  default
        ruler-committed      = 127  default  bold
        ruler-position       = 25   default  bold
        ruler-high-watermark = 235  default  bold
        ruler-last-stable    = 130  default  bold
        out-of-isr           = 160  default  bold underline
        dialog               = 235  254
        input                = 235  252      underline

        """,
        "high-contrast": """
        # eddy theme "high-contrast": bright basic colours on black, bold where it helps,
        # underline on everything that signals trouble.
        # Format: one role per line,  ROLE = FOREGROUND BACKGROUND [ATTRIBUTE ...]
        #   colours: default (the terminal's own colour; in any role but "text" it means the text
        #            role's colour), black red green yellow blue magenta cyan white, bright-NAME,
        #            0-255 (the xterm 256-colour palette), or #rrggbb (nearest palette colour)
        #   attributes: bold dim underline reverse
        # Lines starting with # are comments. Roles left out take the built-in default theme's look.
        # On 8-colour terminals other colours map to the nearest of the 8; without colour (NO_COLOR,
        # monochrome terminals) roles that use colour take the monochrome theme's attributes.
        # See themes/README.md for what each role colours.

        text                 = bright-white   black
        muted                = white          default
        header               = black          bright-yellow  bold
        tab                  = black          bright-yellow
        tab-active           = bright-white   black          bold underline
        column-header        = bright-yellow  default        bold underline
        selected             = black          bright-white   bold
        border               = bright-white   default
        title                = bright-yellow  default        bold
        accent               = bright-cyan    default        bold
        ok                   = bright-green   default        bold
        warning              = bright-yellow  default        bold underline
        error                = bright-red     default        bold underline
        status               = black          bright-white   bold
        status-error         = bright-white   red            bold
        caption              = black          bright-yellow  bold
        sparkline            = bright-cyan    default
        ruler-consumed       = bright-green   default
        ruler-lag            = bright-yellow  default        bold
        ruler-unreplicated   = white          default
        ruler-committed      = bright-magenta default        bold
        ruler-position       = bright-cyan    default        bold
        ruler-high-watermark = bright-white   default        bold
        ruler-last-stable    = bright-yellow  default        bold
        out-of-isr           = bright-red     default        bold underline
        dialog               = bright-white   black
        input                = bright-white   default        underline

        """,
        "monochrome": """
        # eddy theme "monochrome": no colours at all, only attributes. eddy also uses these
        # attributes for any theme's coloured roles when colour is off (NO_COLOR, or a terminal
        # without colours).
        # Format: one role per line,  ROLE = FOREGROUND BACKGROUND [ATTRIBUTE ...]
        #   colours: default (the terminal's own colour; in any role but "text" it means the text
        #            role's colour), black red green yellow blue magenta cyan white, bright-NAME,
        #            0-255 (the xterm 256-colour palette), or #rrggbb (nearest palette colour)
        #   attributes: bold dim underline reverse
        # Lines starting with # are comments. Roles left out take the built-in default theme's look.
        # On 8-colour terminals other colours map to the nearest of the 8; without colour (NO_COLOR,
        # monochrome terminals) roles that use colour take the monochrome theme's attributes.
        # See themes/README.md for what each role colours.

        text                 = default  default
        muted                = default  default  dim
        header               = default  default  bold reverse
        tab                  = default  default  reverse
        tab-active           = default  default  bold underline
        column-header        = default  default  bold underline
        selected             = default  default  reverse
        border               = default  default
        title                = default  default  bold
        accent               = default  default  bold
        ok                   = default  default
        warning              = default  default  bold
        error                = default  default  bold underline
        status               = default  default  reverse
        status-error         = default  default  bold reverse
        caption              = default  default  reverse
        sparkline            = default  default
        ruler-consumed       = default  default
        ruler-lag            = default  default  bold
        ruler-unreplicated   = default  default  dim
        ruler-committed      = default  default  bold
        ruler-position       = default  default  bold
        ruler-high-watermark = default  default  bold
        ruler-last-stable    = default  default  bold underline
        out-of-isr           = default  default  underline
        dialog               = default  default
        input                = default  default  underline

        """,
    ]
}
