ENV_NAME() { echo from-a-function; }
printf '%s\n' BEGIN-"MARK"
printf '%s\n' "var=$GREETING" "braces=${GREETING}" "length=${#GREETING}" 'single=$GREETING' "default=${UNSET_VAR:-fallback}"
printf '%s\n' "sub=$(echo inner)" "backticks=`echo ticked`" "arith=$((6 * 7))"
printf '%s\n' "kubelet-style=$(ENV_NAME)" 'literal=$(ENV_NAME)' 'literal-escaped=$$(ENV_NAME)' "env=$ENV_NAME"
printf '%s\n' 'dollars=$$ $$$' "pid-is-a-number=$(test "$$" -gt 1 && echo yes)" "job=$BUILDKITE_JOB_ID"
printf '%s\n' "double \"quoted\"" 'it'"'"'s' "back\\slash" 'back\slash\n' "escaped \$GREETING" "tab	inside"
printf '%s\n' "a string
over two lines"
cat <<'END'
heredoc literal $GREETING $(ENV_NAME) $$ \n
END
cat <<END
heredoc expanded $GREETING \$GREETING
END
printf '%s\n' END-"MARK"
