@echo off
rem Runs msiexec (or, with E2E_PROGRAM set, that program: the setup program's scenarios) with
rem the given arguments and prints its full exit code.
rem Wine truncates a process exit code to 8 bits on the way to Linux (1603 arrives as 67);
rem cmd sees the full Windows code, so cargo xtask e2e parses the EXIT= line instead.
rem
rem With E2E_STOP_SERVICE set (the harness sets it once the product is installed), it first
rem stops that service and waits until it is STOPPED, as Windows Installer does for a
rem ServiceControl row with Wait=1. Wine 8 sends the stop request and does not wait: the
rem executable is still running when RemoveFiles runs (error 5) and the service is only
rem marked for deletion when InstallServices creates it again (1072), so an upgrade fails at
rem random. Every Wine start also re-launches the auto-start service, which is why this waits
rem for START_PENDING to pass first (a starting service refuses a stop request: 1061).
if defined E2E_STOP_SERVICE call :stopservice
if not defined E2E_PROGRAM set E2E_PROGRAM=msiexec
start /wait %E2E_PROGRAM% %*
echo EXIT=%ERRORLEVEL%
goto :eof

rem A label loop, not FOR: Wine 8's cmd mishandles goto inside a FOR block.
:stopservice
set /a E2E_TRIES=0
:stoploop
sc query %E2E_STOP_SERVICE% | find "STOPPED" >nul
if not errorlevel 1 goto :eof
sc query %E2E_STOP_SERVICE% | find "RUNNING" >nul
if not errorlevel 1 sc stop %E2E_STOP_SERVICE% >nul
set /a E2E_TRIES+=1
if %E2E_TRIES% GEQ 40 goto stuck
ping -n 2 127.0.0.1 >nul
goto stoploop
:stuck
echo E2E: service %E2E_STOP_SERVICE% did not stop within 40 s
goto :eof
