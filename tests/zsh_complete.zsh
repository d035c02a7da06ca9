# Print the candidates zsh's completion system offers for a command line.
#   zsh tests/zsh_complete.zsh DIRECTORY_WITH_COMPLETION_FUNCTIONS 'netdsl check --for'
# An interactive zsh runs in a pseudo-terminal; its compadd prints what it would add (the compadd
# override follows zsh-capture-completion by Valodim, MIT licence). The line is typed, then Tab, then
# a marker command: zle handles input in order, so the marker's output ends the candidates.
zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z "PROMPT="
zpty -w z "fpath=($1 \$fpath); autoload -U compinit; compinit -u -D"
zpty -w z "zstyle ':completion:*' list-grouped false; zstyle ':completion:*' list-separator ''"
zpty -w z 'compadd() { if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return $?; fi; typeset -a __hits; builtin compadd -A __hits "$@"; (( $#__hits )) && print -l -- "<hit>"${^__hits}; }'
zpty -w z 'bindkey "^I" complete-word; zle -C complete-word complete-word _main_complete'
zpty -w z "print '<ready>'"
zpty -r z line '*<ready>*'
zpty -w z "$2"$'\t'
zpty -w z $'\C-u'"print '<done>'"
while zpty -r z line; do
  [[ $line == *'<done>'* && $line != *print* ]] && break
  [[ $line == *'<hit>'* ]] && print -r -- "${${line#*<hit>}%%$'\r'*}"
done
zpty -d z
